"""What every page tells the browser: its Content-Security-Policy; how long a session lasts idle;
which paths stay reachable over plain HTTP when HTTPS is enforced."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/"])
def test_pages_allow_only_the_desks_own_scripts(client, path):
    client.force_login(UserFactory(role="reviewer"))
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_the_api_docs_page_loads_its_script_from_the_desk(client):
    client.force_login(UserFactory(role="reviewer"))
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert b"<script>" not in page.content
    assert client.get("/api/docs/?script").status_code == 200


def test_a_session_idle_past_the_setting_is_signed_out_and_each_request_renews_it(client):
    client.force_login(UserFactory(role="reviewer"))
    assert client.get("/").status_code == 200
    session = Session.objects.get()
    assert session.expire_date <= timezone.now() + timedelta(minutes=30)
    # A request 20 minutes into the session moves the end to 30 minutes after it.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=10))
    assert client.get("/").status_code == 200
    assert Session.objects.get().expire_date > timezone.now() + timedelta(minutes=29)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/healthz/pipeline"])
def test_health_paths_answer_over_plain_http_where_https_is_enforced(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(path).status_code != 301
    assert client.get("/accounts/login/").status_code == 301
