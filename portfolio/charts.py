"""Server-rendered SVG charts of the portfolio page (no JavaScript library, no build step).

Coordinates are floats: they only place pixels. Every figure a reader sees is printed from the
Decimal it came from.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

PALETTE = ["#f0b90b", "#3b82f6", "#10b981", "#ef4444", "#8b5cf6", "#14b8a6", "#f97316", "#64748b"]


def _money(value: Decimal) -> str:
    """USD with 2 decimals in the page's format (36.650,00 on a Turkish page)."""
    return number_format(value.quantize(Decimal("0.01")), 2, use_l10n=True, force_grouping=True)


def allocation_svg(allocation: list[dict], *, size: int = 220, max_slices: int = 7) -> SafeString:
    """A donut of each asset's share of the total value, with a legend."""
    items = [a for a in allocation if Decimal(a["value_usd"] or "0") > 0]
    if len(items) > max_slices:  # the long tail as one slice, or the legend gets unreadable
        rest = items[max_slices - 1 :]
        items = items[: max_slices - 1] + [
            {
                "asset": "other",
                "value_usd": str(sum(Decimal(a["value_usd"]) for a in rest)),
                "share": str(sum(Decimal(a["share"]) for a in rest)),
            }
        ]
    width = size + 200
    title = escape(_("Allocation by asset"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart allocation-chart" role="img" '
        f'viewBox="0 0 {width} {size}" width="{width}" height="{size}" '
        f'aria-label="{title}">'
    ]
    cx = cy = size / 2
    r = size / 2 - 24
    circumference = 2 * math.pi * r
    if not items:
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="{r:.2f}" fill="none" stroke="#cbd5e1" '
            f'stroke-width="28"/><text x="{cx}" y="{cy}" text-anchor="middle">no assets</text>'
        )
    offset = 0.0
    for i, a in enumerate(items):
        frac = float(Decimal(a["share"]))
        length = frac * circumference
        color = PALETTE[i % len(PALETTE)]
        label = escape(f"{a['asset']} {Decimal(a['share']) * 100:.2f}%")
        parts.append(
            f'<circle class="slice" data-asset="{escape(a["asset"])}" cx="{cx}" cy="{cy}" '
            f'r="{r:.2f}" fill="none" stroke="{color}" stroke-width="28" '
            f'stroke-dasharray="{length:.3f} {circumference - length:.3f}" '
            f'stroke-dashoffset="{-offset:.3f}" transform="rotate(-90 {cx} {cy})">'
            f"<title>{label}</title></circle>"
        )
        offset += length
        y = 24 + i * 22
        parts.append(
            f'<rect x="{size + 10}" y="{y - 11}" width="12" height="12" fill="{color}"/>'
            f'<text x="{size + 28}" y="{y}" font-size="13">{label}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def history_svg(
    points: list[tuple[datetime, Decimal]], *, width: int = 640, height: int = 220
) -> SafeString:
    """A line of the total USD value over time, with its min/max and first/last times."""
    left, right, top, bottom = 80, 12, 14, 30
    title = escape(_("Portfolio value over time"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart history-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{title}">'
    ]
    plot_w, plot_h = width - left - right, height - top - bottom
    parts.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        f'stroke="#cbd5e1"/>'
    )
    if not points:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle">'
            "no snapshots yet</text></svg>"
        )
        return mark_safe("".join(parts))  # noqa: S308 - constant text
    lo = min(v for _, v in points)
    hi = max(v for _, v in points)
    t0, t1 = points[0][0], points[-1][0]
    span_t = (t1 - t0).total_seconds() or 1.0
    span_v = float(hi - lo) or 1.0

    def xy(at: datetime, v: Decimal) -> tuple[float, float]:
        x = left + ((at - t0).total_seconds() / span_t) * plot_w if len(points) > 1 else left
        y = top + plot_h - (float(v - lo) / span_v) * plot_h if hi != lo else top + plot_h / 2
        return x, y

    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(t, v) for t, v in points))
    parts.append(
        f'<polyline class="value-line" points="{coords}" fill="none" stroke="#3b82f6" '
        f'stroke-width="2"/>'
    )
    lx, ly = xy(*points[-1])
    parts.append(f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="3" fill="#3b82f6"/>')
    parts.append(
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="11">'
        f"{_money(hi)}</text>"
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11">'
        f"{_money(lo)}</text>"
        f'<text x="{left}" y="{height - 8}" font-size="11">{t0:%Y-%m-%d %H:%M}</text>'
        f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end" font-size="11">'
        f"{t1:%Y-%m-%d %H:%M} UTC</text>"
    )
    count = escape(_("%(count)s snapshots") % {"count": len(points)})
    parts.append(f"<title>{count}</title></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - only numbers and dates are interpolated
