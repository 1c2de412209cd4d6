"""Who may call what: every URL the resolver knows × methods × seven principals, allow or deny.

A URL without an entry in the table fails, so a new one is decided here before it ships.
"allow" means the request got past authorization (its answer may still be a 400 or a 409);
"deny" is a 401, 403 or 405, or a redirect to sign in.
"""

import re
import urllib.error
import urllib.request

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from casework.services.pipeline import returns_decide_pending
from core.choices import ApiRole
from core.models import ApiKey
from core.services.api_clients import api_client_create, api_key_create, api_keys_revoke
from scoring.models import ListEntry
from scoring.services.lists import list_create, list_entry_put
from scoring.services.policies import policy_version_current
from scoring.services.rules import rule_save
from tests.factories import ReviewCaseFactory, UserFactory, WebhookDeliveryFactory

pytestmark = pytest.mark.django_db

ANON, SUBMITTER, REVIEWER_KEY, LABELER = "anonymous", "submitter key", "reviewer key", "labeler key"
REVIEWER, LEAD, ADMIN = "reviewer", "lead", "admin"
PRINCIPALS = (ANON, SUBMITTER, REVIEWER_KEY, LABELER, REVIEWER, LEAD, ADMIN)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

EVERYONE = set(PRINCIPALS)
KEYS = {SUBMITTER, REVIEWER_KEY, LABELER}
STAFF = {REVIEWER, LEAD, ADMIN}
LEADS = {LEAD, ADMIN}
MISSING = "missing"
RETURN = {
    "customer_id": "C-1",
    "order_value": "40.00",
    "product_category": "Toys",
    "payment_method": "PayPal",
    "days_since_purchase": 3,
}  # a 404 for everyone: no such page, whoever asks

BIG_ELECTRONICS = {
    "when": {"all": [{"field": "order_value", "op": "gt", "value": "500"}]},
    "effect": {"type": "probability_floor", "value": "0.25"},
}

# URL pattern -> method -> who is allowed; every other method and principal is denied.
TABLE = {
    "healthz": {"GET": EVERYONE},
    "readyz": {"GET": EVERYONE},
    "healthz/pipeline": {"GET": EVERYONE},
    "healthz/redis": {"GET": EVERYONE},
    "accounts/login/": {"GET": EVERYONE, "POST": EVERYONE, "PUT": EVERYONE},
    "accounts/logout/": {"POST": EVERYONE},
    # The second sign-in step (on under STAFF_TOTP_REQUIRED; tests/core/test_two_factor_sign_in.py
    # shows that until it is passed, every other page here sends a staff session to it).
    "accounts/two-factor/": {"GET": STAFF, "POST": STAFF},
    "accounts/two-factor/enroll/": {"GET": STAFF, "POST": STAFF},
    "api/schema/": {"GET": KEYS | STAFF},
    "api/docs/": {"GET": STAFF},
    "api/v1/returns": {"POST": {SUBMITTER}},
    "api/v1/returns/batch": {"POST": {SUBMITTER}},
    "api/v1/returns/<str:order_id>": {"GET": {SUBMITTER}},
    "api/v1/labels": {"POST": {LABELER}},
    "api/v1/outcomes": {"POST": {LABELER}},
    "api/v1/outcomes/batch": {"POST": {LABELER}},
    "api/v1/decisions": {"GET": {SUBMITTER}},
    "api/v1/webhooks": {"GET": {SUBMITTER}, "POST": {SUBMITTER}},
    "api/v1/webhooks/<int:endpoint_id>": {
        "GET": {SUBMITTER},
        "PATCH": {SUBMITTER},
        "DELETE": {SUBMITTER},
    },
    "api/v1/webhooks/<int:endpoint_id>/rotate": {"POST": {SUBMITTER}},
    "api/v1/cases": {"GET": {REVIEWER_KEY} | STAFF},
    "api/v1/cases/<int:case_id>/claim": {"POST": {REVIEWER_KEY} | STAFF},
    "api/v1/cases/<int:case_id>/verdict": {"POST": {REVIEWER_KEY} | STAFF},
    "reports/": {"GET": LEADS},
    "monitoring/": {"GET": LEADS},
    # Prometheus scrapes with its own token (tests/insights/test_prometheus_metrics.py).
    "metrics": {"GET": LEADS},
    "rules/": {"GET": LEADS},
    "rules/new": {"GET": LEADS, "POST": LEADS},
    "rules/<int:rule_id>": {"GET": LEADS, "POST": LEADS},
    "rules/lists/": {"GET": LEADS, "POST": LEADS},
    "rules/lists/<int:list_id>": {"GET": LEADS, "POST": LEADS},
    "rules/lists/<int:list_id>/csv": {"GET": LEADS},
    "rules/lists/<int:list_id>/entries/<int:entry_id>/remove": {"POST": LEADS},
    "webhooks/": {"GET": LEADS},
    "webhooks/resend": {"POST": LEADS},
    "webhooks/deliveries/<int:delivery_id>/resend": {"POST": LEADS},
    "": {"GET": STAFF},
    "next/": {"POST": STAFF},
    "cases/<int:case_id>/": {"GET": STAFF},
    "cases/<int:case_id>/verdict/": {"POST": STAFF},
    "cases/<int:case_id>/claim/": {"POST": STAFF},
    "cases/<int:case_id>/release/": {"POST": STAFF},
    "cases/<int:case_id>/reassign/": {"POST": LEADS},
    "customers/<int:customer_pk>/": {"GET": STAFF},
    "customers/<int:customer_pk>/hold/": {"POST": LEADS},
    "customers/<int:customer_pk>/hold/release/": {"POST": LEADS},
}

# The admin site is for staff accounts, and only admins are staff (as `make run` makes them):
# everyone else is sent to sign in on every admin URL but its login page. Its own pages:
ADMIN_SITE = "admin/"
ADMIN_PAGES = {
    "admin:login": {"GET": EVERYONE, "POST": EVERYONE, "PUT": EVERYONE},
    # Signed out or not staff, any method lands on the admin's login page, without a next page.
    "admin:logout": {method: EVERYONE - {ADMIN} for method in METHODS} | {"POST": EVERYONE},
    "admin:index": {method: {ADMIN} for method in METHODS},
    "admin:password_change": {"GET": {ADMIN}, "POST": {ADMIN}, "PUT": {ADMIN}},
    "admin:password_change_done": {"GET": {ADMIN}},
    "admin:jsi18n": {"GET": {ADMIN}},
    "admin:autocomplete": {},  # only with a model's field to complete
    "admin:app_list": MISSING,  # filled with an app that has no admin
    "admin:view_on_site": MISSING,  # filled with an object that does not exist
    "admin:": MISSING,  # an admin URL that matches nothing else
}
# Per model, what an admin is refused: whole views, or a view with one method ("change:POST"
# saves). The object URLs are filled with an id that does not exist, so history and the bare
# object URL answer with a redirect before any permission is asked, for every model.
VIEWS = ("changelist", "add", "change", "delete", "history", "password_change")
NO_ACCESS = {"changelist", "add", "change", "delete", "password_change"}
READ_ONLY = {"add", "delete", "change:POST"}
ADMIN_MODELS = {
    "auth/group": NO_ACCESS,  # accounts and groups are a superuser's
    "auth/user": NO_ACCESS,
    "axes/accessattempt": NO_ACCESS,
    "axes/accessfailurelog": NO_ACCESS,
    "axes/accesslog": NO_ACCESS,
    "budgets/budgetpolicy": set(),
    "budgets/customerhold": {"delete", "change:POST"},  # holds are released, not edited
    "budgets/ledgeraccount": READ_ONLY,
    "budgets/ledgerentry": READ_ONLY,
    "casework/feedevent": READ_ONLY,
    "casework/label": READ_ONLY,
    "casework/outcomeevent": READ_ONLY,
    "casework/reviewcase": READ_ONLY,
    "casework/verdict": READ_ONLY,
    "core/apiclient": {"add", "delete"},  # made by manage.py, revoked here
    "core/apikey": {"delete"},  # revoked, never deleted
    "core/auditevent": READ_ONLY,
    "insights/modelcomparison": READ_ONLY,
    "intake/attributedefinition": {"delete"},  # made inactive, never deleted
    "intake/customer": READ_ONLY,
    "intake/idempotencyrecord": READ_ONLY,
    "intake/returnrequest": READ_ONLY,
    "otp_static/staticdevice": {"add", "change:POST"},  # each owner enrolls; a lost one is deleted
    "otp_totp/totpdevice": {"add", "change:POST"},
    "scoring/costsettings": {"add", "delete"},
    "scoring/decision": READ_ONLY,
    "scoring/modelversion": READ_ONLY,
    "scoring/policyversion": READ_ONLY,
    "webhooks/webhookendpoint": set(),
}


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, name) of every URL the resolver knows, the admin's included."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace + (pattern.name or "")


ROUTES = sorted(set(url_patterns()))


def expected(route: str, name: str, method: str, principal: str) -> str:
    if route.startswith(ADMIN_SITE):
        return admin_expected(route, name, method, principal)
    entry = TABLE[route]
    if entry == MISSING:
        return MISSING
    return "allow" if principal in entry.get(method, ()) else "deny"


def admin_model(route: str, name: str) -> str | None:
    """The model an admin URL is about ("auth/user"); None for the site's own pages."""
    match = re.fullmatch(r"admin/(\w+)/(\w+)/.*", route)
    if match is None:
        return None
    prefix = f"admin:{match[1]}_{match[2]}_"
    if name != "admin:" and not any(name == prefix + view for view in VIEWS):
        return None
    return f"{match[1]}/{match[2]}"


def admin_expected(route: str, name: str, method: str, principal: str) -> str:
    model = admin_model(route, name)
    if model is None:
        entry = ADMIN_PAGES[name]
        if entry == MISSING:
            return MISSING if principal == ADMIN else "deny"
        return "allow" if principal in entry.get(method, ()) else "deny"
    if principal != ADMIN:
        return "deny"
    view = name.removeprefix(f"admin:{model.replace('/', '_')}_") if name != "admin:" else ""
    refused = ADMIN_MODELS[model]
    return "deny" if view in refused or f"{view}:{method}" in refused else "allow"


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def decided(response) -> str:
    status = response.status_code
    location = response.get("Location", "")
    if status in (401, 403, 405) or (status == 302 and "login/?next=" in location):
        return "deny"
    if status == 404:
        return MISSING
    assert status < 500 or status == 503, f"{status}: {response.content[:300]!r}"
    return "allow"


@pytest.fixture
def desk(active_model):
    """A retailer with a submitter and a labeler key, the desk's reviewer key, three staff
    accounts, and a case of the retailer's for the URLs that name one."""
    shop, submitter_key = api_client_create(name="shop", role=ApiRole.SUBMITTER)
    _, labeler_key = api_key_create(client=shop, name="labels", role=ApiRole.LABELER)
    _, reviewer_key = api_client_create(name="desk", role=ApiRole.REVIEWER)
    case = ReviewCaseFactory(
        decision__return_request__client=shop, decision__policy_version=policy_version_current()
    )
    author = UserFactory(role="lead")
    rule = rule_save(actor=author, name="big electronics", definition=BIG_ELECTRONICS)
    block = list_create(actor=author, name="blocked", kind="block")
    entry = list_entry_put(actor=author, rule_list=block, value="C-9", reason="chargebacks")
    delivery = WebhookDeliveryFactory(endpoint__client=shop)
    users = {
        REVIEWER: UserFactory(role="reviewer"),
        LEAD: UserFactory(role="lead"),
        ADMIN: UserFactory(role="admin", is_staff=True),
    }
    keys = {SUBMITTER: submitter_key, REVIEWER_KEY: reviewer_key, LABELER: labeler_key}
    arguments = {
        "order_id": case.return_request.order_id,
        "case_id": str(case.pk),
        "customer_pk": str(case.return_request.customer_id),
        "rule_id": str(rule.pk),
        "list_id": str(block.pk),
        "entry_id": str(entry.pk),
        "endpoint_id": str(delivery.endpoint_id),
        "delivery_id": str(delivery.pk),
        "object_id": "0",
        "id": "0",
        "content_type_id": "0",
        "app_label": "core",
        "path": "nothing-here",
        "url": "nothing-here/",
    }

    def http(principal: str) -> Client:
        if principal in keys:
            return Client(headers=bearer(keys[principal]))
        http = Client()
        if principal in users:
            http.force_login(users[principal])
        return http

    return http, arguments


def concrete(route: str, arguments: dict) -> str:
    """The route with each parameter filled in: `<int:case_id>` and `(?P<url>.*)` alike."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: arguments[m.group(1)], route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: arguments[m.group(1)], path)
    return "/" + path.lstrip("^").rstrip("$").replace("\\", "")


def test_every_url_has_an_entry():
    routes = {route for route, _ in ROUTES if not route.startswith(ADMIN_SITE)}
    assert routes == set(TABLE), "decide who may call each new URL in TABLE"
    admin = [(route, name) for route, name in ROUTES if route.startswith(ADMIN_SITE)]
    assert {admin_model(route, name) for route, name in admin} - {None} == set(ADMIN_MODELS)
    assert {name for route, name in admin if admin_model(route, name) is None} == set(ADMIN_PAGES)


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[r or "/" for r, _ in ROUTES])
def test_who_may_call_it(desk, route, name):
    http, arguments = desk
    path = concrete(route, arguments)
    wrong = []
    # Removing a list entry deletes it; each caller gets the same entry to remove.
    entry = ListEntry.objects.filter(pk=arguments["entry_id"]).first()
    for method in METHODS:
        for principal in PRINCIPALS:
            if entry is not None and not ListEntry.objects.filter(pk=entry.pk).exists():
                entry.save(force_insert=True)
            client = http(principal)
            call = getattr(client, method.lower())
            response = (
                call(path, data="{}", content_type="application/json")
                if method != "GET"
                else call(path)
            )
            got, want = decided(response), expected(route, name, method, principal)
            if got != want:
                wrong.append(
                    f"{method} {path} as {principal}: {got} ({response.status_code}), not {want}"
                )
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # feed: committed rows only
def test_the_decisions_feed_shows_each_retailer_only_its_own_decisions(active_model):
    shop, shop_key = api_client_create(name="shop", role=ApiRole.SUBMITTER)
    _, other_key = api_client_create(name="other-shop", role=ApiRole.SUBMITTER)
    _, second_key = api_key_create(client=shop, name="warehouse", role=ApiRole.SUBMITTER)
    _, labeler_key = api_key_create(client=shop, name="labels", role=ApiRole.LABELER)
    _, reviewer_key = api_client_create(name="desk", role=ApiRole.REVIEWER)
    for key, order_id in ((shop_key, "SHOP-1"), (other_key, "OTHER-1")):
        body = {**RETURN, "order_id": order_id}
        response = Client(headers=bearer(key)).post(
            "/api/v1/returns", body, content_type="application/json"
        )
        assert response.status_code == 202, response.content
    returns_decide_pending()

    def feed(key):
        response = Client(headers=bearer(key)).get("/api/v1/decisions")
        return response.status_code, [
            e["return"]["order_id"] for e in response.json().get("results", [])
        ]

    assert feed(shop_key) == (200, ["SHOP-1"])
    assert feed(second_key) == (200, ["SHOP-1"])  # another key of the same retailer: its history
    assert feed(other_key) == (200, ["OTHER-1"])
    assert feed(labeler_key)[0] == 403
    assert feed(reviewer_key)[0] == 403


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_revoked_key_is_refused_over_http(live_server):
    _, secret = api_client_create(name="shop", role=ApiRole.SUBMITTER)
    shop_key = ApiKey.objects.get(client__name="shop")

    def feed_status():
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/decisions", headers=bearer(secret)
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as refused:
            return refused.code

    assert feed_status() == 200
    api_keys_revoke(key_ids=[shop_key.pk], actor_label="test")
    assert feed_status() == 401
