"""The order path's hand-written SQL: three statements the ORM spent several times on building.

They run on every order, two of them under the risk gate's lock that every order waits on.
Table and column names come from the models' _meta and the IN list has one placeholder per
open status, so a renamed field or a new open status changes the statement with it; values are
always parameters. Each is tested against the ORM on SQLite and PostgreSQL
(tests/futures/test_raw_reads.py and the gate's equivalence tests).
"""

from __future__ import annotations

from django.db import models

from futures.models import OPEN_STATUSES, Order, PositionSnapshot


def _table(model: type[models.Model]) -> str:
    return model._meta.db_table


def _col(model: type[models.Model], name: str, alias: str = "") -> str:
    column = model._meta.get_field(name).column
    return f"{alias}.{column}" if alias else column


# The open statuses in a fixed order: their parameters, and one placeholder each.
OPEN_STATUS_LIST = sorted(OPEN_STATUSES)
_IN_OPEN = "(" + ", ".join(["%s"] * len(OPEN_STATUS_LIST)) + ")"

# The idempotency check: the id of the order with this client order id.
ORDER_PK = (
    f"SELECT {_col(Order, 'id')} FROM {_table(Order)} WHERE {_col(Order, 'client_order_id')} = %s"  # noqa: S608 - names from _meta, values are parameters
)


def _p(name: str) -> str:
    return _col(PositionSnapshot, name)


# Whether the synced position of one side is recent: params (oldest updated_at, environment,
# symbol, position_side).
POSITION_FRESH = (
    f"SELECT {_p('source')}, {_p('updated_at')} >= %s, {_p('rest_requested_at')} IS NOT NULL"  # noqa: S608 - names from _meta, values are parameters
    f" FROM {_table(PositionSnapshot)} WHERE {_p('environment')} = %s AND {_p('symbol')} = %s"
    f" AND {_p('position_side')} = %s"
)


def _o(name: str) -> str:
    return _col(Order, name, "o")


def _s(name: str) -> str:
    return _col(PositionSnapshot, name, "s")


# The position is the newest REST read's (a stream-only row: its last amount). Orders count
# twice over: the unfilled part while open, and the filled part while it may be missing from
# that position -- filled (as Spark learned) at or after the REST request was sent, or with no
# REST read to compare with. Counting a fill that the read did include is a moment's
# over-count, never an under-count. A fill is unseen by the REST read when seen at/after its
# request, or with no read.
# One position side: BOTH (one-way) or LONG / SHORT (hedge mode), its row and its orders only.
# Params: side, reduce_only=False, *OPEN_STATUS_LIST, side, "BUY", environment, symbol,
# position_side, environment, symbol, position_side, dry_run=False, *OPEN_STATUS_LIST.
# Result: the read position, the side's open quantity, the side's unseen fills, and every unseen
# fill signed (BUY +, SELL -).
_UNSEEN = (
    f"({_s('rest_requested_at')} IS NULL OR {_o('filled_seen_at')} IS NULL OR "
    f"{_o('filled_seen_at')} >= {_s('rest_requested_at')})"
)
EXPOSURE = (
    f"SELECT MAX(COALESCE({_s('rest_position_amt')}, {_s('position_amt')})), "  # noqa: S608 - names from _meta, values are parameters
    f"SUM(CASE WHEN {_o('side')} = %s AND {_o('reduce_only')} = %s AND {_o('status')} IN "
    f"{_IN_OPEN} THEN {_o('quantity')} - {_o('filled_qty')} ELSE 0 END), "
    f"SUM(CASE WHEN {_o('side')} = %s AND {_o('filled_qty')} > 0 AND {_UNSEEN} "
    f"THEN {_o('filled_qty')} ELSE 0 END), "
    f"SUM(CASE WHEN {_o('filled_qty')} > 0 AND {_UNSEEN} THEN (CASE WHEN {_o('side')} = %s "
    f"THEN {_o('filled_qty')} ELSE -{_o('filled_qty')} END) ELSE 0 END) "
    f"FROM (SELECT 1 AS one) x LEFT JOIN {_table(PositionSnapshot)} s ON "
    f"{_s('environment')} = %s AND {_s('symbol')} = %s AND {_s('position_side')} = %s "
    f"LEFT JOIN {_table(Order)} o ON {_o('environment')} = %s AND {_o('symbol')} = %s AND "
    f"{_o('position_side')} = %s AND {_o('dry_run')} = %s AND "
    f"({_o('status')} IN {_IN_OPEN} OR ({_o('filled_qty')} > 0 AND {_UNSEEN}))"
)

# The decimal places of the order path's columns (quantities and prices), for column_decimal.
PRICE_PLACES = Order._meta.get_field("quantity").decimal_places
