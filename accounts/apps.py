from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users, roles and API tokens")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts import signals  # noqa: F401 - connects the login/logout audit receivers
        from accounts.roles import sync_roles_after_migrate  # noqa: PLC0415 - ready(): the app registry is loaded now

        post_migrate.connect(sync_roles_after_migrate, sender=self)
