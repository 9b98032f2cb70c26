from django.apps import AppConfig


class CanaryConfig(AppConfig):
    name = "canary"
