"""Admin for webhook endpoints: added (the secret is shown once), changed, rotated and
removed through the audited services."""

from django.contrib import admin
from django.template.response import TemplateResponse

from core.admin import AdminRoleOnly
from webhooks.forms import EndpointAdminForm
from webhooks.models import WebhookEndpoint
from webhooks.services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_rotate_secret,
    endpoint_update,
)

EDITABLE = ["url", "description", "event_types", "is_enabled"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AdminRoleOnly, admin.ModelAdmin):
    form = EndpointAdminForm
    list_display = ["id", "client", "url", "is_enabled", "consecutive_failures", "updated_at"]
    list_filter = ["is_enabled", "client"]
    list_select_related = ["client"]
    search_fields = ["url", "description", "client__name"]
    status_fields = [
        "consecutive_failures",
        "paused_until",
        "disabled_reason",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    ]
    actions = ["rotate_secret"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    def get_fields(self, request, obj=None):
        if obj is None:
            return EndpointAdminForm.Meta.fields
        return ["client", *EDITABLE, *self.status_fields]

    def get_readonly_fields(self, request, obj=None):
        return ["client", *self.status_fields] if obj is not None else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            endpoint_update(
                endpoint=obj, actor=request.user, **{field: data[field] for field in EDITABLE}
            )
            return
        endpoint, secret = endpoint_create(
            client=data.get("client"),
            url=data["url"],
            event_types=data["event_types"],
            description=data.get("description", ""),
            is_enabled=data.get("is_enabled", True),
            actor=request.user,
        )
        obj.pk, obj._state.adding = endpoint.pk, False
        request.webhook_secrets = [(endpoint, secret)]  # per request: the admin is shared

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_secrets(request, title="Webhook endpoint added")

    def get_deleted_objects(self, objs, request):
        # Removing an endpoint keeps its deliveries (the log), so nothing else is deleted.
        return [str(obj) for obj in objs], {}, set(), []

    def delete_model(self, request, obj):
        endpoint_delete(endpoint=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            endpoint_delete(endpoint=endpoint, actor=request.user)

    @admin.action(
        description="Rotate the secret; the old one signs too for the overlap window",
        permissions=["change"],
    )
    def rotate_secret(self, request, queryset):
        request.webhook_secrets = [
            endpoint_rotate_secret(endpoint=endpoint, actor=request.user) for endpoint in queryset
        ]
        return self._show_secrets(request, title="Webhook secrets rotated")

    def _show_secrets(self, request, *, title):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "endpoints": request.webhook_secrets,
        }
        return TemplateResponse(request, "admin/webhooks/secrets.html", context)
