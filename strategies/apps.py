from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StrategiesConfig(AppConfig):
    name = "strategies"
    verbose_name = _("Strategy Lab")

    def ready(self) -> None:
        from futures import klines  # noqa: PLC0415 - ready(): the app registry is loaded now
        from strategies.feed import feed  # noqa: PLC0415 - ready(): the app registry is loaded now

        # the paper runners are fed by the stream supervisor's kline subscriptions
        klines.register(feed)
