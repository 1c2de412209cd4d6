"""URL map: reviewer UI at /, the REST API under /api/v1/, the Django admin, health probes."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from casework.api.errors import api_path_not_found
from config import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("healthz/pipeline", health.pipeline, name="health-pipeline"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs page is for people: signed out, they are sent to sign in rather than refused.
    # Its script is served apart from the page (?script), as the Content-Security-Policy wants.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path("api/v1/", include(("casework.api.urls", "api"))),
    path("api/v1/<path:path>", api_path_not_found),
    path("reports/", include(("insights.urls", "reports"))),
    path("monitoring/", include(("insights.monitoring_urls", "monitoring"))),
    path("", include(("casework.urls", "casework"))),
]

handler404 = "casework.api.errors.not_found"
