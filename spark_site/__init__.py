"""Spark: the Django project (settings, ASGI, URLs, the one NinjaAPI)."""

__version__ = "0.1.0"
