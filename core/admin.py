"""Admin base classes every app uses, and the admin for API clients, their keys, the audit
trail and staff sign-in devices.

Tuning pages are deny-by-default by role (core.roles), not by Django model permissions.
"""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import ApiClient, ApiKey, AuditEvent
from core.roles import user_is_admin
from core.services.api_clients import (
    ApiKeyRefused,
    api_clients_revoke,
    api_key_check,
    api_key_create,
    api_key_rotate,
    api_keys_revoke,
)
from core.services.two_factor import two_factor_devices_delete


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are evidence: visible to the admin role, never editable or deletable."""

    def has_module_permission(self, request):
        return user_is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return user_is_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdminRoleOnly:
    """Only the admin role (or a superuser) sees or changes these; everyone else is refused."""

    def has_module_permission(self, request):
        return user_is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return user_is_admin(request.user)

    def has_add_permission(self, request):
        return user_is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return user_is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return user_is_admin(request.user)


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    fields = ["name", "role", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Clients are created with `manage.py create_api_client`; here they can only be revoked,
    and their keys managed under API keys."""

    list_display = ["name", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "is_active", "created_at"]
    readonly_fields = fields
    inlines = [ApiKeyInline]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the audit trail and labels point at the client

    @admin.action(
        description="Revoke the selected clients and all their keys", permissions=["change"]
    )
    def revoke(self, request, queryset):
        count = api_clients_revoke(
            client_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, f"Revoked {count} client(s).", messages.SUCCESS)


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["client", "name", "role", "expires_at"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            api_key_check(
                client=cleaned["client"],
                name=cleaned["name"],
                role=cleaned["role"],
                expires_at=cleaned.get("expires_at"),
            )
        except ApiKeyRefused as exc:
            self.add_error(exc.field, exc.message)
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are added here (the secret is shown once, on the page that follows), rotated and
    revoked; never edited or deleted. Every change goes through the audited services."""

    list_display = [
        "client",
        "name",
        "role",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["role", "client"]
    list_select_related = ["client"]
    search_fields = ["client__name", "name", "prefix"]
    readonly_fields = [
        "client",
        "name",
        "role",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["rotate", "revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ApiKeyAddForm.Meta.fields

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the audit trail keeps what each key did

    def save_model(self, request, obj, form, change):
        key, secret = api_key_create(
            client=obj.client,
            name=obj.name,
            role=obj.role,
            expires_at=obj.expires_at,
            actor=request.user,
        )
        obj.pk, obj.prefix, obj.created_at = key.pk, key.prefix, key.created_at
        obj._state.adding = False
        request.api_key_secrets = [
            (key, secret)
        ]  # the admin is shared by threads; a request is not

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_secrets(request, title="API key created")

    def _show_secrets(self, request, *, title):
        keys = request.api_key_secrets
        context = {**self.admin_site.each_context(request), "title": title, "keys": keys}
        return TemplateResponse(request, "admin/core/apikey/secrets.html", context)

    @admin.action(
        description="Rotate: a new key each; the old ones work until they expire or are revoked",
        permissions=["add"],
    )
    def rotate(self, request, queryset):
        request.api_key_secrets = []
        for old in queryset:
            try:
                request.api_key_secrets.append(api_key_rotate(key=old, actor=request.user))
            except ApiKeyRefused as exc:
                self.message_user(request, f"{old}: {exc.message}", messages.ERROR)
        if not request.api_key_secrets:
            return None
        return self._show_secrets(request, title="API keys rotated")

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        count = api_keys_revoke(
            key_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_id", "action"]
    date_hierarchy = "created_at"


class SignInDeviceAdmin(AdminRoleOnly, admin.ModelAdmin):
    """Who has enrolled which device, for admins; a lost one is deleted here (audited), and its
    owner enrolls again at the next sign-in. Secrets and recovery codes are never shown."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = [
        "user",
        "name",
        "confirmed",
        "created_at",
        "last_used_at",
        "throttling_failure_count",
        "throttling_failure_timestamp",
    ]
    readonly_fields = fields
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False  # each owner enrolls their own, at sign-in

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        two_factor_devices_delete(devices=[obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        two_factor_devices_delete(devices=list(queryset), actor=request.user)


# django-otp's own admin shows each app's secret to anyone with model permissions.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)
    admin.site.register(device_model, SignInDeviceAdmin)
