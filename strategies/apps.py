from django.apps import AppConfig


class StrategiesConfig(AppConfig):
    name = "strategies"
    verbose_name = "Strategy Lab"

    def ready(self) -> None:
        from spark_site.startup import on_startup
        from strategies.runner import resume_runners

        on_startup(resume_runners)
