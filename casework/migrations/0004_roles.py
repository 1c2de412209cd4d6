"""The role groups, with the model permissions each role's admin pages need."""

from django.db import migrations

ROLES = {
    "reviewer": [],
    "lead": ["budgets.add_customerhold", "budgets.change_customerhold",
             "budgets.view_customerhold"],
    "admin": [
        "budgets.add_customerhold", "budgets.change_customerhold", "budgets.view_customerhold",
        "budgets.add_budgetpolicy", "budgets.change_budgetpolicy", "budgets.view_budgetpolicy",
        "budgets.delete_budgetpolicy", "scoring.change_costsettings", "scoring.view_costsettings",
        "scoring.view_modelversion", "scoring.view_policyversion", "scoring.view_decision",
        "casework.view_auditevent", "casework.view_apiclient", "casework.change_apiclient",
        "budgets.view_ledgeraccount", "budgets.view_ledgerentry", "casework.view_returnrequest",
        "casework.view_reviewcase", "casework.view_verdict", "casework.view_label",
    ],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0003_append_only"),
        ("scoring", "0001_initial"),
        ("budgets", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
