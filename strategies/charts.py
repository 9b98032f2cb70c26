"""Server-rendered SVG: the equity curve and the two-parameter heat map."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


def equity_svg(points: list, width: int = 720, height: int = 240, other: list | None = None):
    """A polyline of [[time_ms, equity], ...] (and an optional second curve, dashed)."""
    series = [s for s in (points, other) if s]
    if not series:
        return format_html('<p class="muted">{}</p>', _("no equity data"))
    ts = [p[0] for s in series for p in s]
    vs = [p[1] for s in series for p in s]
    t0, t1 = min(ts), max(ts)
    v0, v1 = min(vs), max(vs)
    if v1 == v0:
        v0, v1 = v0 - 1, v1 + 1
    pad = 34

    def xy(p):
        x = pad + (p[0] - t0) / max(t1 - t0, 1) * (width - pad - 6)
        y = 6 + (v1 - p[1]) / (v1 - v0) * (height - 30)
        return f"{x:.1f},{y:.1f}"

    lines = []
    for n, s in enumerate(series):
        dash = ' stroke-dasharray="5 4"' if n else ""
        color = "#6ea8fe" if n == 0 else "#e0a84f"
        pts = " ".join(xy(p) for p in s)
        lines.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.6"{dash} points="{pts}"/>'
        )

    def day(ms):
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")

    labels = (
        f'<text x="{pad}" y="{height - 6}" font-size="11" fill="#8a94a6">{day(t0)}</text>'
        f'<text x="{width - 6}" y="{height - 6}" font-size="11" fill="#8a94a6" '
        f'text-anchor="end">{day(t1)}</text>'
        f'<text x="2" y="14" font-size="11" fill="#8a94a6">{v1:,.0f}</text>'
        f'<text x="2" y="{height - 24}" font-size="11" fill="#8a94a6">{v0:,.0f}</text>'
    )
    # every interpolated value is a number formatted here
    return mark_safe(  # noqa: S308
        f'<svg class="equity-chart" role="img" aria-label="equity curve" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="none">'
        f"{''.join(lines)}{labels}</svg>"
    )


def _color(value: float, lo: float, hi: float) -> str:
    """Red (worst) through grey to green (best)."""
    if hi == lo:
        return "rgb(90,90,90)"
    t = (value - lo) / (hi - lo)
    r = int(200 * (1 - t) + 40 * t)
    g = int(60 * (1 - t) + 170 * t)
    return f"rgb({r},{g},80)"


def heatmap_svg(results: list[dict], x: str, y: str, metric: str = "test_return_pct") -> SafeString:
    """A cell per (x, y) value pair colored by metric (mean over other parameters)."""
    cells: dict[tuple, list[float]] = {}
    for r in results:
        p = r["params"]
        if x in p and y in p and r.get(metric) is not None:
            cells.setdefault((p[x], p[y]), []).append(r[metric])
    if not cells:
        return mark_safe('<p class="muted">no results yet</p>')
    xs = sorted({k[0] for k in cells})
    ys = sorted({k[1] for k in cells})
    vals = {k: sum(v) / len(v) for k, v in cells.items()}
    lo, hi = min(vals.values()), max(vals.values())
    cw, ch, left, top = 64, 30, 70, 24
    w, h = left + cw * len(xs) + 8, top + ch * len(ys) + 30
    out = [
        f'<svg class="heatmap" role="img" aria-label="heat map of {escape(metric)}" '
        f'viewBox="0 0 {w} {h}" width="{w}" height="{h}">'
    ]
    for j, yv in enumerate(ys):
        out.append(
            f'<text x="{left - 6}" y="{top + j * ch + ch / 2 + 4}" font-size="11" '
            f'fill="#8a94a6" text-anchor="end">{escape(yv)}</text>'
        )
        for i, xv in enumerate(xs):
            v = vals.get((xv, yv))
            if v is None:
                continue
            cx, cy = left + i * cw, top + j * ch
            out.append(
                f'<rect x="{cx}" y="{cy}" width="{cw - 2}" height="{ch - 2}" '
                f'fill="{_color(v, lo, hi)}"><title>{escape(x)}={escape(xv)}, '
                f"{escape(y)}={escape(yv)}: {v:.2f}%</title></rect>"
                f'<text x="{cx + cw / 2 - 1}" y="{cy + ch / 2 + 4}" font-size="11" fill="#fff" '
                f'text-anchor="middle">{v:.2f}</text>'
            )
    for i, xv in enumerate(xs):
        out.append(
            f'<text x="{left + i * cw + cw / 2}" y="{top + len(ys) * ch + 14}" font-size="11" '
            f'fill="#8a94a6" text-anchor="middle">{escape(xv)}</text>'
        )
    out.append(
        f'<text x="{left}" y="14" font-size="11" fill="#8a94a6">{escape(y)} ↓ · '
        f"{escape(x)} → · {escape(metric)}</text></svg>"
    )
    return mark_safe("".join(out))  # noqa: S308 - numbers, and text passed through escape()
