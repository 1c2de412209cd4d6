"""A customer's own budget is keyed "<client name>/<customer id>", since customers are per client.

An existing override keyed by a bare customer id is given to every client that has a customer
of that id, as that id's budget was before; one whose id no client has is left as it was, and
applies to no one.
"""

from django.db import migrations, models


def customer_budgets_name_clients(apps, schema_editor):
    BudgetPolicy = apps.get_model("budgets", "BudgetPolicy")
    Customer = apps.get_model("intake", "Customer")
    for row in BudgetPolicy.objects.filter(scope="customer").exclude(key__contains="/"):
        client_names = (
            Customer.objects.filter(external_id=row.key)
            .order_by("client__name")
            .values_list("client__name", flat=True)
        )
        if not client_names:
            continue
        for name in client_names:
            BudgetPolicy.objects.get_or_create(
                scope="customer",
                key=f"{name}/{row.key}",
                defaults={"amount": row.amount, "window_days": row.window_days},
            )
        row.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0001_initial"),
        ("intake", "0003_customer_per_client"),
    ]

    operations = [
        migrations.AlterField(
            model_name="budgetpolicy",
            name="key",
            field=models.CharField(
                blank=True,
                help_text="Payment method, category, or client name/customer id (customer ids "
                "are the retailers' own, so a customer's budget names its retailer).",
                max_length=200,
            ),
        ),
        migrations.RunPython(customer_budgets_name_clients, migrations.RunPython.noop),
    ]
