"""Template context shared by every page: navigation and what the user may do."""

from __future__ import annotations

from django.conf import settings

from spark_site import __version__
from spark_site.labels import js_labels


def site(request) -> dict:
    return {
        "spark_version": __version__,
        "exchange_env": settings.BINANCE_FUTURES_RESOLVED_ENV,
        # Status/side/type labels in the page's language, for scripts (static/spark/i18n.js).
        "spark_labels": js_labels(),
    }
