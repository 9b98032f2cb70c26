from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications import receivers, worker  # noqa: PLC0415 - ready(): the app registry is loaded now
        from spark_site.startup import on_startup  # noqa: PLC0415 - ready(): the app registry is loaded now

        receivers.connect()
        # The hook checks SPARK_NOTIFIER_EMBEDDED when the server starts serving.
        on_startup(worker.embedded_main)
