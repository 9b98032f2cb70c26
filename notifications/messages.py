"""The words of each notification in the reader's language, Turkish number and time formats."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.utils import translation
from django.utils.translation import gettext as _

from notifications.models import Kind
from spark_site.money import decimal_text

ISTANBUL = zoneinfo.ZoneInfo("Europe/Istanbul")
LANGS = ("tr", "en")


def number(value, lang: str) -> str:
    """A decimal for people: 1.234,56 in Turkish, 1,234.56 in English; every digit kept."""
    text = decimal_text(value)
    if text is None:
        return "-"
    sign = "-" if text.startswith("-") else ""
    whole, _dot, frac = text.lstrip("-").partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    sep, point = (".", ",") if lang == "tr" else (",", ".")
    return sign + sep.join(groups) + (point + frac if frac else "")


def when(value: str | datetime | None, lang: str) -> str:
    """A time for people: Istanbul time on Turkish messages, UTC on English ones."""
    if not value:
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if lang == "tr":
        return moment.astimezone(ISTANBUL).strftime("%d.%m.%Y %H:%M:%S") + " (İstanbul)"
    return moment.astimezone(zoneinfo.ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S UTC")


def render(kind: str, payload: dict, lang: str) -> tuple[str, str]:
    """Return (subject, text) of an event for a reader of lang."""
    lang = lang if lang in LANGS else "tr"
    with translation.override(lang):
        p = payload
        if kind == Kind.FILL:
            side = _("buy") if p.get("side") == "BUY" else _("sell")
            subject = _("Fill: %(symbol)s") % {"symbol": p.get("symbol")}
            text = _("%(symbol)s %(side)s %(qty)s @ %(price)s (order %(order)s), %(at)s") % {
                "symbol": p.get("symbol"),
                "side": side,
                "qty": number(p.get("qty"), lang),
                "price": number(p.get("price"), lang),
                "order": p.get("clientOrderId"),
                "at": when(p.get("tradedAt"), lang),
            }
            if p.get("dryRun"):
                text += " " + _("(dry-run)")
        elif kind == Kind.ORDER_REJECTED:
            subject = _("Order rejected: %(symbol)s") % {"symbol": p.get("symbol")}
            text = _("%(symbol)s order refused by %(by)s: %(reason)s") % {
                "symbol": p.get("symbol"),
                "by": {"gate": _("the risk gate"), "spark": "Spark"}.get(
                    p.get("by"), _("the exchange")
                ),
                # a reason Spark wrote itself may come in each language (reason_tr)
                "reason": p.get(f"reason_{lang[:2]}") or p.get("reason") or "-",
            }
        elif kind == Kind.BREAKER_OPENED:
            subject = _("Circuit breaker opened")
            text = _("The circuit breaker opened at %(at)s: %(reason)s (by %(by)s).") % {
                "at": when(p.get("at"), lang),
                "reason": p.get("reason") or "-",
                "by": p.get("by") or "-",
            }
        elif kind == Kind.BREAKER_CLOSED:
            subject = _("Circuit breaker closed")
            text = _("The circuit breaker closed at %(at)s by %(by)s: %(reason)s.") % {
                "at": when(p.get("at"), lang),
                "by": p.get("by") or "-",
                "reason": p.get("reason") or "-",
            }
        elif kind == Kind.LOSS_BUDGET_LOW:
            subject = _("Loss budget below 20 %")
            text = _("Today's loss budget: %(remaining)s USD left of %(limit)s USD.") % {
                "remaining": number(p.get("remaining"), lang),
                "limit": number(p.get("limit"), lang),
            }
        elif kind == Kind.CANARY_RESULT:
            subject = _("Canary #%(id)s: %(status)s") % {
                "id": p.get("id"),
                "status": p.get("status"),
            }
            text = _("Canary run #%(id)s on %(symbol)s ended %(status)s.") % {
                "id": p.get("id"),
                "symbol": p.get("symbol"),
                "status": p.get("status"),
            }
        elif kind == Kind.PROPOSAL_PENDING:
            subject = _("Approval needed: proposal #%(id)s") % {"id": p.get("id")}
            text = _(
                "%(by)s proposes %(changes)s parameter change(s) to %(strategy)s; "
                "a second person must approve or reject it."
            ) % {"by": p.get("by"), "changes": p.get("changes"), "strategy": p.get("strategy")}
        elif kind in (Kind.ALERT_FIRING, Kind.ALERT_RESOLVED):
            firing = kind == Kind.ALERT_FIRING
            subject = (_("Alert: %(name)s") if firing else _("Resolved: %(name)s")) % {
                "name": p.get("alertname")
            }
            text = (
                _("%(name)s (%(severity)s) is firing since %(at)s: %(summary)s")
                if firing
                else _("%(name)s (%(severity)s) is resolved at %(at)s: %(summary)s")
            ) % {
                "name": p.get("alertname"),
                "severity": p.get("severity") or "-",
                "at": when(p.get("startsAt") if firing else p.get("endsAt"), lang),
                "summary": p.get("summary") or "-",
            }
            if (p.get("count") or 1) > 1:
                text += " " + _("(%(count)s alerts)") % {"count": p["count"]}
        elif kind == Kind.STREAMS_DOWN:
            subject = _("Live streams down")
            text = _(
                "The exchange streams have been down since %(at)s (%(names)s); prices, fills and "
                "positions on the pages may be late until they return."
            ) % {"at": when(p.get("since"), lang), "names": ", ".join(p.get("connections") or [])}
        elif kind == Kind.STREAMS_UP:
            subject = _("Live streams back")
            text = _("The exchange streams are back at %(at)s after %(seconds)s seconds.") % {
                "at": when(p.get("at"), lang),
                "seconds": number(p.get("downSeconds"), lang),
            }
        elif kind == Kind.DAILY_SUMMARY:
            subject, text = _daily_summary(p, lang)
        else:
            subject = kind
            text = kind
    return subject, f"{subject}\n{text}"


def _daily_summary(p: dict, lang: str) -> tuple[str, str]:
    """The day so far: the user's own orders and fills, the desk's PnL, budget and positions."""
    subject = _("Daily summary %(day)s") % {"day": p.get("day")}
    lines = [
        _("Trading day %(day)s, from %(from)s until %(at)s.")
        % {"day": p.get("day"), "from": when(p.get("from"), lang), "at": when(p.get("at"), lang)},
        _("Your orders: %(orders)s, your fills: %(fills)s.")
        % {"orders": p.get("orders", 0), "fills": p.get("fills", 0)},
        _("Realized PnL today: %(pnl)s USD; loss budget left: %(left)s of %(limit)s USD.")
        % {
            "pnl": number(p.get("pnl"), lang),
            "left": number(p.get("budgetRemaining"), lang),
            "limit": number(p.get("budgetLimit"), lang),
        },
    ]
    if p.get("breakerOpen"):
        lines.append(_("The circuit breaker is OPEN."))
    positions = p.get("positions") or []
    if positions:
        lines.append(_("Open positions:"))
        for pos in positions:
            lines.append(
                _("%(symbol)s %(side)s %(qty)s, entry %(entry)s, uPnL %(upnl)s USD")
                % {
                    "symbol": pos.get("symbol"),
                    "side": _("Long") if pos.get("side") == "LONG" else _("Short"),
                    "qty": number(pos.get("qty"), lang),
                    "entry": number(pos.get("entry"), lang),
                    "upnl": number(pos.get("upnl"), lang),
                }
            )
    else:
        lines.append(_("No open positions."))
    return subject, "\n".join(lines)
