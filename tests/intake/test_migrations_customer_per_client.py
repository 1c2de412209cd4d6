"""intake 0003 on an existing database: customers go to the clients that submitted their returns."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("core", "0001_initial"), ("intake", "0002_decide_attempts"), ("budgets", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.fixture
def old_schema():
    """The database as it was before customers had a client; migrated forward afterwards."""
    apps = migrate(BEFORE)
    yield apps
    with connection.cursor() as cursor:
        # Append-only rows a failed migration left behind; TRUNCATE is not refused.
        cursor.execute("TRUNCATE budgets_ledgerentry, budgets_ledgeraccount CASCADE")
    migrate(latest())


def make(apps):
    ApiClient = apps.get_model("core", "ApiClient")
    Customer = apps.get_model("intake", "Customer")
    ReturnRequest = apps.get_model("intake", "ReturnRequest")
    clients = [
        ApiClient.objects.create(name=name, role="submitter", key_prefix="x", key_hash=name)
        for name in ("shop-a", "shop-b")
    ]
    counter = iter(range(1000))

    def returned(customer, client, *, days_ago):
        return ReturnRequest.objects.create(
            client=client,
            order_id=f"O-{next(counter)}",
            customer=customer,
            order_value=Decimal("10.00"),
            product_category="Toys",
            payment_method="Card",
            return_ratio=0.1,
            returns_velocity_30d=0,
            days_since_purchase=1,
            submitted_at=timezone.now() - timedelta(days=days_ago),
            payload_hash="h",
        )

    return clients, Customer, returned


def test_customers_go_to_their_client_and_one_shared_by_two_clients_is_split(old_schema):
    (shop_a, shop_b), Customer, returned = make(old_schema)
    only_a = Customer.objects.create(external_id="ONLY-A")
    returned(only_a, shop_a, days_ago=1)
    shared = Customer.objects.create(external_id="SHARED")
    returned(shared, shop_b, days_ago=5)
    from_a = returned(shared, shop_a, days_ago=2)
    # A hold after B's return follows it to B's customer; one placed by hand stays everywhere.
    CustomerHold = old_schema.get_model("budgets", "CustomerHold")
    CustomerHold.objects.create(
        customer=shared,
        reason="fraud at b",
        return_request=shared.returns.filter(client=shop_b).get(),
        released_at=timezone.now(),
    )
    CustomerHold.objects.create(customer=shared, reason="by hand")
    # A's ledger entry keeps the old customer at A: entries cannot move.
    LedgerAccount = old_schema.get_model("budgets", "LedgerAccount")
    account = LedgerAccount.objects.create(customer=shared, balance=Decimal("2.00"))
    old_schema.get_model("budgets", "LedgerEntry").objects.create(
        account=account,
        return_request=from_a,
        kind="expected_loss",
        amount=Decimal("2.00"),
        effective_at=from_a.submitted_at,
        payment_method="Card",
    )
    old_schema.get_model("budgets", "BudgetPolicy").objects.create(
        scope="customer", key="SHARED", amount=Decimal("80.00")
    )

    apps = migrate(latest())

    Customer = apps.get_model("intake", "Customer")
    assert Customer.objects.get(pk=only_a.pk).client_id == shop_a.pk
    at_a = Customer.objects.get(pk=shared.pk)
    at_b = Customer.objects.get(client_id=shop_b.pk, external_id="SHARED")
    assert at_a.client_id == shop_a.pk
    assert {r.client_id for r in at_a.returns.all()} == {shop_a.pk}
    assert {r.client_id for r in at_b.returns.all()} == {shop_b.pk}
    assert apps.get_model("budgets", "LedgerAccount").objects.get().customer_id == at_a.pk
    holds = apps.get_model("budgets", "CustomerHold").objects
    assert sorted(holds.filter(customer=at_b).values_list("reason", flat=True)) == [
        "by hand",
        "fraud at b",
    ]
    assert list(holds.filter(customer=at_a).values_list("reason", flat=True)) == ["by hand"]
    budgets = apps.get_model("budgets", "BudgetPolicy").objects.filter(scope="customer")
    keys = budgets.values_list("key", flat=True)
    assert sorted(keys) == ["shop-a/SHARED", "shop-b/SHARED"]


def test_a_customer_with_ledger_entries_of_two_clients_stops_the_migration(old_schema):
    (shop_a, shop_b), Customer, returned = make(old_schema)
    shared = Customer.objects.create(external_id="SHARED")
    LedgerAccount = old_schema.get_model("budgets", "LedgerAccount")
    LedgerEntry = old_schema.get_model("budgets", "LedgerEntry")
    account = LedgerAccount.objects.create(customer=shared, balance=Decimal("4.00"))
    for client in (shop_a, shop_b):
        return_request = returned(shared, client, days_ago=1)
        LedgerEntry.objects.create(
            account=account,
            return_request=return_request,
            kind="expected_loss",
            amount=Decimal("2.00"),
            effective_at=return_request.submitted_at,
            payment_method="Card",
        )

    with pytest.raises(Exception, match="ledger entries for returns of 2 clients"):
        migrate(latest())
