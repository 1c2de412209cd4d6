"""`manage.py api_keys`: list, create, rotate and revoke from the command line."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import AuditEvent
from core.services.api_clients import api_client_create, api_key_authenticate

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = StringIO()
    call_command("api_keys", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_create_rotate_list_and_revoke(settings):
    _, first = api_client_create(name="shop", role="submitter")

    labeler = run("create", "shop", "--name", "chargebacks", "--role", "labeler")[-1]
    rotated = run("rotate", "shop", "default", "--new-name", "2026-12", "--grace-hours", "24")
    listing = run("list", "shop")
    revoked = run("revoke", "shop", "default")

    assert api_key_authenticate(secret=labeler).role == "labeler"
    assert "'default' keeps working until" in rotated[0]
    assert api_key_authenticate(secret=rotated[-1]).name == "2026-12"
    assert [line.split("\t")[:3] for line in listing] == [
        ["shop", "default", "submitter"],
        ["shop", "chargebacks", "labeler"],
        ["shop", "2026-12", "submitter"],
    ]
    assert "until " in listing[0]
    assert "in force" in listing[2]
    assert revoked == ["Revoked 'default' of 'shop'."]
    assert api_key_authenticate(secret=first) is None
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label"))
    assert actions[-4:] == [
        ("api_key.create", "manage.py"),
        ("api_key.create", "manage.py"),
        ("api_key.rotate", "manage.py"),
        ("api_key.revoke", "manage.py"),
    ]
    assert not any(secret in line for line in listing for secret in (first, labeler))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "nobody", "--name", "k", "--role", "labeler"], "client: no API client"),
        (["create", "shop", "--name", "default", "--role", "labeler"], "name: shop already"),
        (["create", "shop", "--name", "desk", "--role", "reviewer"], "role: reviewer keys"),
        (["rotate", "shop", "missing"], "key: 'shop' has no key named 'missing'"),
        (["revoke", "shop", "missing"], "key: 'shop' has no key named 'missing'"),
    ],
)
def test_refusals_name_the_field(args, message):
    api_client_create(name="shop", role="submitter")
    with pytest.raises(CommandError, match=message):
        run(*args)


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_grace_must_be_a_positive_number(value):
    api_client_create(name="shop", role="submitter")
    with pytest.raises(CommandError, match="--grace-hours"):
        run("rotate", "shop", "default", "--grace-hours", value)
