"""Until a staff session has given its second factor, it opens nothing but the two-factor pages.

With STAFF_TOTP_REQUIRED, a signed-in staff account (core.roles.user_is_desk_staff) whose
session is not yet verified is sent from any page (the desk, the admin, the API docs) to enter
its code, or to enroll an app when it has none. Machine endpoints (the API, the health probes,
/metrics) treat such a session as signed out, so their keys and tokens work as before.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse

from core.roles import user_is_desk_staff
from core.selectors import two_factor_app_enrolled

MACHINE_PATHS = ("/api/v1/", "/api/schema/", "/healthz", "/readyz", "/metrics")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.STAFF_TOTP_REQUIRED and self._awaits_second_factor(request.user):
            path = request.path_info
            if path.startswith(MACHINE_PATHS):
                request.user = AnonymousUser()
            elif path not in self._open_paths():
                return self._to_second_step(request)
        return self.get_response(request)

    @staticmethod
    def _awaits_second_factor(user) -> bool:
        return user_is_desk_staff(user) and not user.is_verified()

    @staticmethod
    def _open_paths() -> set[str]:
        names = ("two-factor:verify", "two-factor:enroll", "login", "logout", "admin:logout")
        return {reverse(name) for name in names}

    @staticmethod
    def _to_second_step(request):
        enrolled = two_factor_app_enrolled(user=request.user)
        step = "two-factor:verify" if enrolled else "two-factor:enroll"
        url = reverse(step)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
