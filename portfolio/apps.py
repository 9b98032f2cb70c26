from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "portfolio"

    def ready(self) -> None:
        from portfolio import tasks  # noqa: F401 - registers the periodic snapshot hook
