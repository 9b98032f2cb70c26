from django.apps import AppConfig


class FuturesConfig(AppConfig):
    name = "futures"
