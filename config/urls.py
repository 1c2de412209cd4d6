"""URL map: reviewer UI at /, the REST API under /api/v1/, the Django admin, health probes and
the Prometheus scrape."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import health
from insights.monitoring_views import metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("healthz/pipeline", health.pipeline, name="health-pipeline"),
    path("healthz/redis", health.redis_health, name="health-redis"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include(("core.two_factor_urls", "two-factor"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs page is for people: signed out, they are sent to sign in rather than refused.
    # Its script is served apart from the page (?script), as the Content-Security-Policy wants.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path("api/v1/", include(("casework.api.urls", "api"))),
    path("reports/", include(("insights.urls", "reports"))),
    path("monitoring/", include(("insights.monitoring_urls", "monitoring"))),
    path("rules/", include(("insights.rules_urls", "rules"))),
    path("webhooks/", include(("webhooks.urls", "webhooks"))),
    path("", include(("casework.urls", "casework"))),
]
