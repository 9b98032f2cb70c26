"""Kept for the views that call it: the page rule itself lives in spark_site/access.py."""

from __future__ import annotations

from spark_site.access import page_refusal


def page_access(request):
    """None when the page may be shown, else the login redirect or the 403 page (one rule)."""
    return page_refusal(request)
