"""The daily PnL bar chart of the history page: server-rendered SVG, no script, no CDN.

Coordinates are floats (they only place pixels); every figure a reader sees is printed from the
Decimal it came from, in the page's locale.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from history.templatetags.history_tags import money

GAIN, LOSS, AXIS = "#10b981", "#ef4444", "#94a3b8"


def daily_pnl_svg(rows: list[dict], *, width: int = 720, height: int = 240) -> SafeString:
    """One bar per trading day: net PnL in USD, up for a gain and down for a loss."""
    left, right, top, bottom = 84, 12, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    title = escape(_("Daily net PnL (USD)"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart pnl-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        f'aria-label="{title}" data-bars="{len(rows)}"><title>{title}</title>'
    ]
    if not rows:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" '
            f'fill="currentColor">{escape(_("No PnL in this range."))}</text></svg>'
        )
        return mark_safe("".join(parts))  # noqa: S308 - the only text is escaped
    values = [Decimal(r["net"]) for r in rows]
    hi = max(max(values), Decimal(0))
    lo = min(min(values), Decimal(0))
    span = float(hi - lo) or 1.0
    zero_y = top + float(hi) / span * plot_h
    slot = plot_w / len(rows)
    bar_w = max(min(slot * 0.7, 48), 1)
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        x = left + i * slot + (slot - bar_w) / 2
        h = abs(float(value)) / span * plot_h
        y = zero_y - h if value >= 0 else zero_y
        day = row["trading_day"]
        label = escape(f"{date_format(day, 'SHORT_DATE_FORMAT')}: {money(value)} USD")
        parts.append(
            f'<rect class="bar {"gain" if value >= 0 else "loss"}" data-day="{day.isoformat()}" '
            f'data-net="{value:f}" x="{x:.2f}" y="{y:.2f}" width="{bar_w:.2f}" '
            f'height="{max(h, 0.5):.2f}" fill="{GAIN if value >= 0 else LOSS}">'
            f"<title>{label}</title></rect>"
        )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{zero_y:.2f}" y2="{zero_y:.2f}" '
        f'stroke="{AXIS}"/>'
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="11" '
        f'fill="currentColor">{escape(money(hi))}</text>'
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11" '
        f'fill="currentColor">{escape(money(lo))}</text>'
        f'<text x="{left}" y="{height - 10}" font-size="11" fill="currentColor">'
        f"{escape(date_format(rows[0]['trading_day'], 'SHORT_DATE_FORMAT'))}</text>"
        f'<text x="{left + plot_w}" y="{height - 10}" text-anchor="end" font-size="11" '
        f'fill="currentColor">{escape(date_format(rows[-1]["trading_day"], "SHORT_DATE_FORMAT"))}'
        "</text></svg>"
    )
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
