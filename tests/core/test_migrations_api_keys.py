"""core 0002–0004 on an existing database: each client's key becomes its first ApiKey, and back."""

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import ApiKey
from core.services.api_clients import api_key_authenticate, api_key_create

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("core", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def old_schema():
    apps = migrate(BEFORE)
    yield apps
    migrate(latest())


def old_client(apps, name, *, role="submitter", is_active=True):
    secret = f"rd_{name}-secret-of-forty-odd-characters-000000"
    apps.get_model("core", "ApiClient").objects.create(
        name=name,
        role=role,
        key_prefix=secret[:8],
        key_hash=hashlib.sha256(secret.encode()).hexdigest(),
        is_active=is_active,
    )
    return secret


def test_each_clients_key_becomes_its_default_key_and_keeps_working(old_schema):
    shop = old_client(old_schema, "shop")
    desk = old_client(old_schema, "desk", role="reviewer")
    gone = old_client(old_schema, "gone", is_active=False)

    migrate(latest())

    keys = ApiKey.objects.select_related("client").order_by("client__name")
    assert [(k.client.name, k.name, k.role) for k in keys] == [
        ("desk", "default", "reviewer"),
        ("gone", "default", "submitter"),
        ("shop", "default", "submitter"),
    ]
    assert api_key_authenticate(secret=shop).client.name == "shop"
    assert api_key_authenticate(secret=desk).role == "reviewer"
    assert api_key_authenticate(secret=gone) is None


def test_going_back_gives_each_client_its_oldest_key_in_force(old_schema):
    shop = old_client(old_schema, "shop")
    migrate(latest())
    default = ApiKey.objects.get()
    newer, _ = api_key_create(client=default.client, name="newer", role="submitter")

    apps = migrate(BEFORE)

    client = apps.get_model("core", "ApiClient").objects.get()
    assert (client.role, client.key_hash) == ("submitter", default.hash)
    assert client.key_hash == hashlib.sha256(shop.encode()).hexdigest()


def test_going_back_refuses_labeler_keys_by_name(old_schema):
    old_client(old_schema, "shop")
    migrate(latest())
    api_key_create(client=ApiKey.objects.get().client, name="labels", role="labeler")

    with pytest.raises(RuntimeError, match="labeler keys cannot move back .*'shop'"):
        migrate(BEFORE)
