from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: API clients, roles and the audit trail"

    def ready(self):
        from core import lookups, receivers  # noqa: F401 - receivers connects the login audit

        lookups.register()
