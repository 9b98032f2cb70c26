from django.apps import AppConfig


class StrategiesConfig(AppConfig):
    name = "strategies"
    verbose_name = "Strategy Lab"

    def ready(self) -> None:
        from futures import klines
        from strategies.feed import feed

        # the paper runners are fed by the stream supervisor's kline subscriptions
        klines.register(feed)
