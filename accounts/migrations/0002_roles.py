"""Create the viewer, trader and operator groups with their permissions.

The table is frozen here as it was when the roles were introduced; later permissions are added
by accounts.roles.sync_roles() after every migrate.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {'viewer': ['accounts.view_platform'],
 'trader': ['accounts.view_platform',
            'futures.place_order',
            'futures.cancel_order',
            'futures.change_leverage',
            'futures.change_margin_type',
            'futures.control_streams',
            'canary.run_canary',
            'canary.confirm_canary',
            'copilot.add_strategydraft',
            'strategies.run_backtest',
            'strategies.propose_change',
            'strategies.run_strategy'],
 'operator': ['accounts.view_platform',
              'futures.place_order',
              'futures.cancel_order',
              'futures.change_leverage',
              'futures.change_margin_type',
              'futures.control_streams',
              'canary.run_canary',
              'canary.confirm_canary',
              'copilot.add_strategydraft',
              'strategies.run_backtest',
              'strategies.propose_change',
              'strategies.run_strategy',
              'risk.change_risklimits',
              'risk.open_circuit_breaker',
              'risk.close_circuit_breaker',
              'risk.record_pnl',
              'futures.reconcile_orders',
              'accounts.manage_tokens',
              'accounts.add_apitoken',
              'accounts.change_apitoken',
              'accounts.view_apitoken',
              'auth.view_user',
              'auth.add_user',
              'auth.change_user',
              'audit.view_auditentry',
              'risk.view_risklimits',
              'strategies.approve_proposal']}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now so groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        for code in codes:
            app_label, codename = code.split(".", 1)
            perm = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                group.permissions.add(perm)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0001_initial"),
        ("futures", "0001_initial"),
        ("risk", "0001_initial"),
        ("canary", "0001_initial"),
        ("copilot", "0001_initial"),
        ("strategies", "0004_strategy_approved_at_strategy_approved_by_and_more"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
