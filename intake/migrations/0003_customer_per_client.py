"""Customers belong to the API client (retailer) that submitted their returns.

Each existing customer goes to the client of its returns. A customer whose returns came from
several clients is split: it stays with one client and every other client gets its own
customer of the same id, with its returns and their holds. The ledger is append-only, so
entries cannot move to another account: the customer stays with the one client its entries
were booked for, and a customer with entries for several clients stops the migration (such
an install must be rebuilt; see README.md, "Retailers").
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Min


class SharedLedger(Exception):
    pass


def customers_assign_clients(apps, schema_editor):
    Customer = apps.get_model("intake", "Customer")
    ReturnRequest = apps.get_model("intake", "ReturnRequest")
    LedgerAccount = apps.get_model("budgets", "LedgerAccount")
    LedgerEntry = apps.get_model("budgets", "LedgerEntry")
    CustomerHold = apps.get_model("budgets", "CustomerHold")
    for customer in Customer.objects.filter(client__isnull=True).order_by("pk").iterator():
        clients = list(
            ReturnRequest.objects.filter(customer=customer)
            .values("client_id")
            .annotate(first=Min("submitted_at"))
            .order_by("first", "client_id")
            .values_list("client_id", flat=True)
        )
        if not clients:
            # A customer row is only ever made with a return; one without any belongs nowhere.
            if (
                LedgerAccount.objects.filter(customer=customer).exists()
                or CustomerHold.objects.filter(customer=customer).exists()
            ):
                raise SharedLedger(
                    f"customer {customer.external_id!r} (id {customer.pk}) has no returns but "
                    "a ledger account or holds: no client can be told for it."
                )
            customer.delete()
            continue
        booked = set(
            LedgerEntry.objects.filter(account__customer=customer).values_list(
                "return_request__client_id", flat=True
            )
        )
        if len(booked) > 1:
            raise SharedLedger(
                f"customer {customer.external_id!r} (id {customer.pk}) has ledger entries for "
                f"returns of {len(booked)} clients; ledger entries are append-only and cannot "
                "move to a per-client account. Rebuild this install (README.md, 'Retailers')."
            )
        keep = booked.pop() if booked else clients[0]
        customer.client_id = keep
        customer.save(update_fields=["client"])
        manual_holds = list(
            CustomerHold.objects.filter(
                customer=customer, return_request__isnull=True, released_at__isnull=True
            )
        )
        for client_id in clients:
            if client_id == keep:
                continue
            split = Customer.objects.create(client_id=client_id, external_id=customer.external_id)
            ReturnRequest.objects.filter(customer=customer, client_id=client_id).update(
                customer=split
            )
            # A hold follows the return that led to it; a hold placed by hand held the id at
            # every retailer, so each split customer keeps it.
            CustomerHold.objects.filter(
                customer=customer, return_request__client_id=client_id
            ).update(customer=split)
            for hold in manual_holds:
                CustomerHold.objects.create(
                    customer=split,
                    mode=hold.mode,
                    reason=hold.reason,
                    created_by_id=hold.created_by_id,
                )
    # The schema changes after this run in the same transaction; deferred foreign key checks
    # still pending on the updated rows would make PostgreSQL refuse them.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("intake", "0002_decide_attempts"),
        ("budgets", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="client",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="customers",
                to="core.apiclient",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="external_id",
            field=models.CharField(max_length=64),
        ),
        # Going back does not merge split customers; the unique id then refuses to return.
        migrations.RunPython(customers_assign_clients, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="customer",
            name="client",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="customers",
                to="core.apiclient",
            ),
        ),
        migrations.AlterModelOptions(
            name="customer",
            options={"ordering": ["external_id", "client_id"]},
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(
                fields=("client", "external_id"), name="unique_customer_per_client"
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["external_id"], name="customer_external_idx"),
        ),
    ]
