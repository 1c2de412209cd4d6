from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: API clients, roles and the audit trail"

    def ready(self):
        from core import receivers  # noqa: F401 - connects the login audit
