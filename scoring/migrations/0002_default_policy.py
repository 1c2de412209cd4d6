"""The peer's cost model as the starting policy: false reject 200, review 50, budget 50."""

from decimal import Decimal

from django.db import migrations


def create_defaults(apps, schema_editor):
    CostSettings = apps.get_model("scoring", "CostSettings")
    BudgetPolicy = apps.get_model("budgets", "BudgetPolicy")
    if not CostSettings.objects.exists():
        CostSettings.objects.create()
    if not BudgetPolicy.objects.filter(scope__isnull=True).exists():
        BudgetPolicy.objects.create(scope=None, key="", amount=Decimal("50.00"), window_days=90)
    BudgetPolicy.objects.get_or_create(
        scope="portfolio", key="*", defaults={"amount": Decimal("2000.00")}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0001_initial"),
        ("budgets", "0002_initial"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
