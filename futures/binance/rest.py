"""BinanceFutures: the USD-M REST connector (the seed's 11 calls plus what reconciliation needs)."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from decimal import Decimal
from typing import Any

from futures import metrics
from futures.binance.errors import (
    BinanceError,
    ExchangeRejected,
    ExchangeUnavailable,
    NoSuchOrder,
    UnknownExecutionStatus,
    error_for,
)
from futures.binance.filters import SymbolFilters, parse_exchange_info
from futures.binance.http import BinanceHttp
from futures.binance.signing import plain
from spark_site.errors import ValidationFailed

logger = logging.getLogger(__name__)

ALGO_ORDER_TYPES = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
# "Already so" answers: the change the caller asked for is in place.
ALREADY_DONE_CODES = frozenset({-4046, -4059})
DUPLICATE_CLIENT_ORDER_ID = -4116
MAX_BATCH_ORDERS = 5  # Binance: 1 to 5 orders per batchOrders place or modify
MAX_BATCH_CANCELS = 10  # Binance: orderIdList / origClientOrderIdList up to 10
POSITION_SIDES = ("BOTH", "LONG", "SHORT")
PRICE_MATCHES = (
    "OPPONENT",
    "OPPONENT_5",
    "OPPONENT_10",
    "OPPONENT_20",
    "QUEUE",
    "QUEUE_5",
    "QUEUE_10",
    "QUEUE_20",
)


def new_client_order_id(prefix: str = "spark") -> str:
    """A fresh client order id matching ^[.A-Z:/a-z0-9_-]{1,36}$."""
    return f"{prefix}-{int(time.time() * 1000):x}-{secrets.token_hex(6)}"[:36]


class BinanceFutures(BinanceHttp):
    """Binance USD-M Futures over REST."""

    time_path = "/fapi/v1/time"
    weight_header = "X-MBX-USED-WEIGHT-1M"
    exchange_info_ttl = 300.0
    # After an unknown-status answer on placement: how often and how long to look the order up.
    lookup_delays = (0.05, 0.2, 0.5, 1.0)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._info: dict | None = None
        self._filters: dict[str, SymbolFilters] = {}
        self._info_at = 0.0
        self._info_lock = threading.Lock()
        self._marks: dict[str, tuple[Decimal, float]] = {}

    def _on_weight(self, remaining: int) -> None:
        metrics.RATE_LIMIT_REMAINING.set(remaining)

    # ------------------------------------------------------------------ 1. health
    def ping(self) -> dict:
        """Ping and server time: {"ok", "serverTime", "latencyMs", "clockOffsetMs"}."""
        t0 = time.perf_counter()
        self.request("GET", "/fapi/v1/ping")
        offset = self.sync_time()
        return {
            "ok": True,
            "serverTime": int(time.time() * 1000) + offset,
            "latencyMs": round((time.perf_counter() - t0) * 1000, 2),
            "clockOffsetMs": offset,
        }

    def server_time(self) -> int:
        return int(self.request("GET", "/fapi/v1/time")["serverTime"])

    # ------------------------------------------------------------------ 2-4. account
    def account(self) -> dict:
        return self.request("GET", "/fapi/v3/account", signed=True)

    def positions(self, symbol: str | None = None) -> list[dict]:
        """Position risk of every symbol (v2: with leverage and margin type)."""
        return self.request("GET", "/fapi/v2/positionRisk", {"symbol": symbol}, signed=True)

    def open_orders(self, symbol: str | None = None) -> list[dict]:
        return self.request("GET", "/fapi/v1/openOrders", {"symbol": symbol}, signed=True)

    def open_algo_orders(self, symbol: str | None = None) -> list[dict]:
        return self.request("GET", "/fapi/v1/openAlgoOrders", {"symbol": symbol}, signed=True)

    # ------------------------------------------------------------------ 5. query
    def query_order(
        self, symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> dict:
        return self.request(
            "GET",
            "/fapi/v1/order",
            {"symbol": symbol, "orderId": order_id, "origClientOrderId": client_order_id},
            signed=True,
        )

    def query_algo_order(
        self, *, algo_id: int | None = None, client_algo_id: str | None = None
    ) -> dict:
        return self.request(
            "GET",
            "/fapi/v1/algoOrder",
            {"algoId": algo_id, "clientAlgoId": client_algo_id},
            signed=True,
        )

    def user_trades(self, symbol: str, *, order_id: int | None = None, limit: int = 100) -> list:
        return self.request(
            "GET",
            "/fapi/v1/userTrades",
            {"symbol": symbol, "orderId": order_id, "limit": limit},
            signed=True,
        )

    def all_orders(self, symbol: str, *, limit: int = 100) -> list[dict]:
        return self.request(
            "GET", "/fapi/v1/allOrders", {"symbol": symbol, "limit": limit}, signed=True
        )

    # ------------------------------------------------------------------ 6. place
    def place_order(
        self,
        *,
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | None = None,
        price: Decimal | str | None = None,
        stop_price: Decimal | str | None = None,
        time_in_force: str | None = None,
        reduce_only: bool | None = None,
        client_order_id: str | None = None,
        resp_type: str = "RESULT",
        position_side: str | None = None,
        close_position: bool = False,
        callback_rate: Decimal | str | None = None,
        activation_price: Decimal | str | None = None,
    ) -> dict:
        """Place an order; conditional types go to the algo service.

        Never re-sends blindly: when the answer is lost (timeout, 5xx, -1000, -1007) the
        order is looked up by its client id first, and only an order the exchange provably
        does not have is sent again (once, with the same client id). A duplicate client id
        (-4116) means the order exists: it is fetched and returned.

        position_side is LONG or SHORT in hedge mode (BOTH or None in one-way mode).
        close_position (STOP_MARKET / TAKE_PROFIT_MARKET) closes the whole position when it
        triggers: no quantity and no reduceOnly are sent. callback_rate and activation_price
        belong to TRAILING_STOP_MARKET.
        """
        cid = client_order_id or new_client_order_id()
        is_algo = type in ALGO_ORDER_TYPES
        path, params = order_params(
            symbol=symbol,
            side=side,
            type=type,
            quantity=quantity,
            price=price,
            stop_price=stop_price,
            time_in_force=time_in_force,
            reduce_only=reduce_only,
            client_order_id=cid,
            resp_type=resp_type,
            position_side=position_side,
            close_position=close_position,
            callback_rate=callback_rate,
            activation_price=activation_price,
        )
        for attempt in (1, 2):
            try:
                return self.request("POST", path, params, signed=True)
            except UnknownExecutionStatus as exc:
                logger.warning(
                    "order %s: execution status unknown (%s); looking it up", cid, exc.binance_code
                )
                found = self._lookup_after_unknown(symbol, cid, is_algo=is_algo, cause=exc)
                if found is not None:
                    return found
                if attempt == 2:
                    raise
                logger.warning("order %s: the exchange does not have it; sending it once more", cid)
            except ExchangeRejected as exc:
                if exc.binance_code == DUPLICATE_CLIENT_ORDER_ID:
                    return self._fetch(symbol, cid, is_algo=is_algo)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch(self, symbol: str, cid: str, *, is_algo: bool) -> dict:
        if is_algo:
            return self.query_algo_order(client_algo_id=cid)
        return self.query_order(symbol, client_order_id=cid)

    def _lookup_after_unknown(
        self, symbol: str, cid: str, *, is_algo: bool, cause: UnknownExecutionStatus
    ) -> dict | None:
        """The order if the exchange has it, None if it provably does not; raise if unsure."""
        last: Exception = cause
        for delay in self.lookup_delays:
            try:
                return self._fetch(symbol, cid, is_algo=is_algo)
            except NoSuchOrder:
                return None
            except (UnknownExecutionStatus, ExchangeRejected) as exc:
                last = exc
                time.sleep(delay)
            except Exception as exc:  # rate limit, network: still unknown
                last = exc
                time.sleep(delay)
        raise UnknownExecutionStatus(
            -1007,
            f"Order {cid}: execution status unknown and the exchange could not be asked "
            f"({type(last).__name__}); reconciliation will settle it.",
            cause.http_status,
            clientOrderId=cid,
        )

    # ------------------------------------------------------------------ 7-8. cancel
    def cancel_order(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
        is_algo: bool = False,
    ) -> dict:
        if is_algo:
            return self.request(
                "DELETE",
                "/fapi/v1/algoOrder",
                {"algoId": order_id, "clientAlgoId": client_order_id if not order_id else None},
                signed=True,
            )
        return self.request(
            "DELETE",
            "/fapi/v1/order",
            {"symbol": symbol, "orderId": order_id, "origClientOrderId": client_order_id},
            signed=True,
        )

    def modify_order(
        self,
        symbol: str,
        *,
        side: str,
        quantity: Decimal | str,
        price: Decimal | str | None = None,
        price_match: str | None = None,
        order_id: int | None = None,
        client_order_id: str | None = None,
    ) -> dict:
        """Change a resting LIMIT order's price and quantity in place (PUT /fapi/v1/order).

        Binance keeps the order id and client id; side must be the order's own. Either a price
        or a priceMatch mode (OPPONENT, QUEUE_5, ...), never both. A modify whose answer is
        lost is not re-sent: the caller reads the order back (query_order) to see which
        version the exchange holds.
        """
        return self.request(
            "PUT",
            "/fapi/v1/order",
            modify_params(
                symbol=symbol,
                side=side,
                quantity=quantity,
                price=price,
                price_match=price_match,
                order_id=order_id,
                client_order_id=client_order_id,
            ),
            signed=True,
        )

    def order_amendments(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        """The modify history of one order (GET /fapi/v1/orderAmendment), newest first."""
        _one_reference(order_id, client_order_id)
        return self.request(
            "GET",
            "/fapi/v1/orderAmendment",
            {
                "symbol": symbol,
                "orderId": order_id,
                "origClientOrderId": client_order_id,
                "startTime": start_time,
                "endTime": end_time,
                "limit": limit,
            },
            signed=True,
        )

    # ------------------------------------------------------------------ batches
    def place_batch(self, orders: list[dict[str, Any]]) -> list[dict | BinanceError]:
        """Place up to five orders; one result per item, in the request's order.

        Each item takes place_order's keyword names (symbol, side, type, quantity, price,
        stop_price, time_in_force, reduce_only, client_order_id, position_side). Plain orders
        go first, in one POST /fapi/v1/batchOrders; conditional ones (a TP/SL) then each to
        the algo service, as Binance refuses them in a batch (-4120). An item the exchange
        refuses is its typed error in the list, never an exception for the whole batch; only a
        refusal of the first call, before anything is placed (auth, rate limit, exchange
        down), raises. Every item gets a
        client id first, so a lost batch answer is settled by looking each item up, never by
        sending the batch again.
        """
        if not 1 <= len(orders) <= MAX_BATCH_ORDERS:
            raise ValidationFailed(
                "A batch holds 1 to %(max)s orders, got %(count)s.",
                params={"max": MAX_BATCH_ORDERS, "count": len(orders)},
                details={"limit": MAX_BATCH_ORDERS, "value": len(orders)},
            )
        items = [
            {**o, "client_order_id": o.get("client_order_id") or new_client_order_id()}
            for o in orders
        ]
        results: dict[int, dict | BinanceError] = {}
        plain_at = [i for i, o in enumerate(items) if o["type"] not in ALGO_ORDER_TYPES]
        if plain_at:
            batch = [order_params(**items[i])[1] for i in plain_at]
            results.update(zip(plain_at, self._send_batch(batch), strict=True))
        for i, item in enumerate(items):
            if i in results:
                continue
            try:
                results[i] = self.place_order(**item)
            except BinanceError as exc:
                # Items before it may be placed already: never lose their answers to a raise.
                results[i] = exc
        return [results[i] for i in range(len(items))]

    def _send_batch(self, batch: list[dict]) -> list[dict | BinanceError]:
        try:
            answers = self.request(
                "POST", "/fapi/v1/batchOrders", {"batchOrders": batch_json(batch)}, signed=True
            )
        except UnknownExecutionStatus as exc:
            logger.warning("batch of %d: execution status unknown; looking each up", len(batch))
            return [self._settle_lost_item(p, exc) for p in batch]
        return [_item_result(a) for a in answers]

    def _settle_lost_item(self, params: dict, cause: UnknownExecutionStatus) -> dict | BinanceError:
        """A lost batch answer, one item: the order if the exchange has it, else why not."""
        cid = params["newClientOrderId"]
        try:
            found = self._lookup_after_unknown(params["symbol"], cid, is_algo=False, cause=cause)
        except UnknownExecutionStatus as exc:
            return exc
        if found is not None:
            return found
        return NoSuchOrder(
            -2013,
            f"Order {cid} was not placed (the batch answer was lost).",
            0,
            clientOrderId=cid,
        )

    def modify_batch(self, changes: list[dict[str, Any]]) -> list[dict | BinanceError]:
        """Modify up to five resting orders (PUT /fapi/v1/batchOrders); one result per item.

        Each item takes modify_order's keyword names (symbol, side, quantity, price,
        price_match, order_id, client_order_id); an item's refusal is its typed error.
        """
        if not 1 <= len(changes) <= MAX_BATCH_ORDERS:
            raise ValidationFailed(
                "A batch holds 1 to %(max)s orders, got %(count)s.",
                params={"max": MAX_BATCH_ORDERS, "count": len(changes)},
                details={"limit": MAX_BATCH_ORDERS, "value": len(changes)},
            )
        batch = [modify_params(**c) for c in changes]
        answers = self.request(
            "PUT", "/fapi/v1/batchOrders", {"batchOrders": batch_json(batch)}, signed=True
        )
        return [_item_result(a) for a in answers]

    def cancel_batch(
        self,
        symbol: str,
        *,
        order_ids: list[int] | None = None,
        client_order_ids: list[str] | None = None,
    ) -> list[dict | BinanceError]:
        """Cancel up to ten orders of symbol (DELETE /fapi/v1/batchOrders) by ids or client ids.

        One result per id in the given order: the cancelled order, or its typed error (an
        order already gone is NoSuchOrder).
        """
        if (order_ids is None) == (client_order_ids is None):
            raise ValidationFailed("Send either order_ids or client_order_ids.")
        wanted = order_ids if order_ids is not None else client_order_ids
        assert wanted is not None
        if not 1 <= len(wanted) <= MAX_BATCH_CANCELS:
            raise ValidationFailed(
                "A batch cancel holds 1 to %(max)s orders, got %(count)s.",
                params={"max": MAX_BATCH_CANCELS, "count": len(wanted)},
                details={"limit": MAX_BATCH_CANCELS, "value": len(wanted)},
            )
        params: dict[str, Any] = {"symbol": symbol}
        if order_ids is not None:
            params["orderIdList"] = json.dumps([int(i) for i in order_ids], separators=(",", ":"))
        else:
            params["origClientOrderIdList"] = json.dumps(
                [str(c) for c in wanted], separators=(",", ":")
            )
        answers = self.request("DELETE", "/fapi/v1/batchOrders", params, signed=True)
        return [_item_result(a) for a in answers]

    def cancel_all(self, symbol: str) -> dict:
        """Cancel every open order of symbol, the algo (conditional) ones included."""
        plain = self.request("DELETE", "/fapi/v1/allOpenOrders", {"symbol": symbol}, signed=True)
        algo = self.request("DELETE", "/fapi/v1/algoOpenOrders", {"symbol": symbol}, signed=True)
        return {"orders": plain, "algoOrders": algo}

    # ------------------------------------------------------------------ 9-10. settings
    def change_leverage(self, symbol: str, leverage: int) -> dict:
        return self.request(
            "POST", "/fapi/v1/leverage", {"symbol": symbol, "leverage": int(leverage)}, signed=True
        )

    def change_margin_type(self, symbol: str, margin_type: str) -> dict:
        """Set ISOLATED or CROSSED; "no need to change" (-4046) is success."""
        try:
            return self.request(
                "POST",
                "/fapi/v1/marginType",
                {"symbol": symbol, "marginType": margin_type},
                signed=True,
            )
        except ExchangeRejected as exc:
            if exc.binance_code in ALREADY_DONE_CODES:
                return {"code": 200, "msg": "unchanged", "unchanged": True}
            raise

    def position_mode(self) -> bool:
        """True when the account is in hedge mode (`dualSidePosition`), read now (weight 30).

        Anything but a JSON boolean is refused: a mode that cannot be read is not assumed.
        """
        body = self.request("GET", "/fapi/v1/positionSide/dual", signed=True)
        dual = body.get("dualSidePosition") if isinstance(body, dict) else None
        if not isinstance(dual, bool):
            raise ExchangeUnavailable(
                0, "The exchange answered no dualSidePosition boolean.", 200, answer=str(body)[:200]
            )
        return dual

    def change_position_mode(self, dual: bool) -> dict:
        """Set one-way (False) or hedge (True) mode; "no need to change" (-4059) is success."""
        try:
            return self.request(
                "POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": dual}, signed=True
            )
        except ExchangeRejected as exc:
            if exc.binance_code in ALREADY_DONE_CODES:
                return {"code": 200, "msg": "unchanged", "unchanged": True}
            raise

    def leverage_brackets(self, symbol: str | None = None) -> list[dict]:
        """Notional brackets per symbol (GET /fapi/v1/leverageBracket), amounts as Decimal.

        Always a list of {"symbol", "notionalCoef", "brackets": [...]}: Binance answers one
        object instead of a list when a symbol is sent.
        """
        body = self.request("GET", "/fapi/v1/leverageBracket", {"symbol": symbol}, signed=True)
        rows = body if isinstance(body, list) else [body]
        return [_bracket_row(r) for r in rows]

    def position_margin(
        self,
        symbol: str,
        amount: Decimal | str,
        *,
        add: bool,
        position_side: str | None = None,
    ) -> dict:
        """Add (add=True) or remove isolated margin of a position (POST /fapi/v1/positionMargin).

        Only isolated positions have their own margin; Binance refuses it on cross margin.
        The answer's amount is a Decimal.
        """
        amount = Decimal(str(amount))
        if amount <= 0:
            raise ValidationFailed(
                "The margin amount must be above zero.", details={"value": str(amount)}
            )
        _check_position_side(position_side)
        body = self.request(
            "POST",
            "/fapi/v1/positionMargin",
            {
                "symbol": symbol,
                "positionSide": position_side,
                "amount": amount,
                "type": 1 if add else 2,
            },
            signed=True,
        )
        if isinstance(body, dict) and "amount" in body:
            body = {**body, "amount": Decimal(str(body["amount"]))}
        return body

    # ------------------------------------------------------------------ market data
    def klines(self, symbol: str, interval: str, *, limit: int = 500) -> list[list]:
        """The newest `limit` klines (Binance's array rows), oldest first."""
        return self.request(
            "GET", "/fapi/v1/klines", {"symbol": symbol, "interval": interval, "limit": limit}
        )

    # ------------------------------------------------------------------ 11. exchange info
    def exchange_info(self, *, refresh: bool = False) -> dict:
        """Exchange info, cached for exchange_info_ttl seconds (refetched after that)."""
        with self._info_lock:
            stale = time.monotonic() - self._info_at > self.exchange_info_ttl
            if self._info is None or stale or refresh:
                info = self.request("GET", "/fapi/v1/exchangeInfo")
                self._info = info
                self._filters = parse_exchange_info(info)
                self._info_at = time.monotonic()
            return self._info

    def symbol_filters(self, symbol: str) -> SymbolFilters | None:
        self.exchange_info()
        return self._filters.get(symbol)

    def mark_price(self, symbol: str, *, max_age: float = 0.0) -> Decimal:
        """The mark price (premiumIndex); a price remembered within max_age seconds is reused."""
        if max_age > 0:
            seen = self._marks.get(symbol)
            if seen is not None and time.monotonic() - seen[1] <= max_age:
                return seen[0]
        body = self.request("GET", "/fapi/v1/premiumIndex", {"symbol": symbol})
        mark = Decimal(str(body["markPrice"]))
        self.remember_mark(symbol, mark)
        return mark

    def remember_mark(self, symbol: str, mark: Decimal) -> None:
        """Keep a mark price seen elsewhere (the markPrice stream) for mark_price(max_age=...)."""
        self._marks[symbol] = (Decimal(mark), time.monotonic())


# ---------------------------------------------------------------------------------- params


def order_params(
    *,
    symbol: str,
    side: str,
    type: str,
    quantity: Decimal | str | None = None,
    price: Decimal | str | None = None,
    stop_price: Decimal | str | None = None,
    time_in_force: str | None = None,
    reduce_only: bool | None = None,
    client_order_id: str,
    resp_type: str = "RESULT",
    position_side: str | None = None,
    close_position: bool = False,
    callback_rate: Decimal | str | None = None,
    activation_price: Decimal | str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The path and Binance parameters of one new order (plain or algo)."""
    _check_position_side(position_side)
    # Binance refuses reduceOnly itself in hedge mode (-1106), even false: there a SELL of
    # LONG or a BUY of SHORT is what closes, so the side carries the meaning instead.
    hedge = position_side in ("LONG", "SHORT")
    reduce = True if reduce_only and not hedge else None
    side_param = position_side if position_side and position_side != "BOTH" else None
    if type in ALGO_ORDER_TYPES:
        # Binance refuses a quantity (-4137) and the reduceOnly parameter itself (-1106) on a
        # closePosition order: it closes whatever the position is when it triggers.
        trailing = type == "TRAILING_STOP_MARKET"
        return "/fapi/v1/algoOrder", {
            "algoType": "CONDITIONAL",
            "symbol": symbol,
            "side": side,
            "positionSide": side_param,
            "type": type,
            "quantity": None if close_position else quantity,
            "triggerPrice": None if trailing else stop_price,
            "price": price if type in ("STOP", "TAKE_PROFIT") else None,
            "timeInForce": time_in_force if type in ("STOP", "TAKE_PROFIT") else None,
            "reduceOnly": None if close_position else reduce,
            "closePosition": True if close_position else None,
            "callbackRate": callback_rate if trailing else None,
            "activatePrice": activation_price if trailing else None,
            "clientAlgoId": client_order_id,
        }
    return "/fapi/v1/order", {
        "symbol": symbol,
        "side": side,
        "positionSide": side_param,
        "type": type,
        "quantity": quantity,
        "price": price if type == "LIMIT" else None,
        "timeInForce": (time_in_force or "GTC") if type == "LIMIT" else None,
        "reduceOnly": reduce,
        "newClientOrderId": client_order_id,
        "newOrderRespType": resp_type,
    }


def modify_params(
    *,
    symbol: str,
    side: str,
    quantity: Decimal | str,
    price: Decimal | str | None = None,
    price_match: str | None = None,
    order_id: int | None = None,
    client_order_id: str | None = None,
) -> dict[str, Any]:
    """Binance parameters of one modify: a price or a priceMatch mode, by one reference."""
    _one_reference(order_id, client_order_id)
    if (price is None) == (price_match is None):
        raise ValidationFailed("Send either a price or a priceMatch mode.")
    if price_match is not None and price_match not in PRICE_MATCHES:
        raise ValidationFailed(
            "Unknown priceMatch %(value)r.",
            params={"value": price_match},
            details={"allowed": list(PRICE_MATCHES)},
        )
    return {
        "symbol": symbol,
        "side": side,
        "quantity": quantity,
        "price": price,
        "priceMatch": price_match,
        "orderId": order_id,
        "origClientOrderId": client_order_id if order_id is None else None,
    }


def batch_json(items: list[dict[str, Any]]) -> str:
    """The batchOrders parameter: a compact JSON list, every value a string as Binance reads."""
    rows = [{k: plain(v) for k, v in item.items() if v is not None} for item in items]
    return json.dumps(rows, separators=(",", ":"))


def _item_result(answer: Any) -> dict | BinanceError:
    """One batch item's answer: the order, or its {code, msg} as a typed error."""
    if isinstance(answer, dict) and isinstance(answer.get("code"), int) and answer["code"] < 0:
        return error_for(answer["code"], str(answer.get("msg", ""))[:300], 400)
    return answer


def _one_reference(order_id: int | None, client_order_id: str | None) -> None:
    if order_id is None and not client_order_id:
        raise ValidationFailed("Send an order id or a client order id.")


def _check_position_side(position_side: str | None) -> None:
    if position_side is not None and position_side not in POSITION_SIDES:
        raise ValidationFailed(
            "Unknown positionSide %(value)r.",
            params={"value": position_side},
            details={"allowed": list(POSITION_SIDES)},
        )


def _bracket_row(row: dict) -> dict:
    return {
        "symbol": row["symbol"],
        "notionalCoef": Decimal(str(row.get("notionalCoef", 1))),
        "brackets": [
            {
                "bracket": int(b["bracket"]),
                "initialLeverage": int(b["initialLeverage"]),
                "notionalCap": Decimal(str(b["notionalCap"])),
                "notionalFloor": Decimal(str(b["notionalFloor"])),
                "maintMarginRatio": Decimal(str(b["maintMarginRatio"])),
                "cum": Decimal(str(b["cum"])),
            }
            for b in row["brackets"]
        ],
    }


# ---------------------------------------------------------------------------------- factory

_CLIENTS: dict[tuple, BinanceFutures] = {}
_CLIENTS_LOCK = threading.Lock()


def client_from_settings() -> BinanceFutures:
    """The connector for the configured exchange (settings read now, one pooled client each)."""
    from django.conf import settings

    base = settings.BINANCE_FUTURES_BASE_URL
    key = settings.BINANCE_API_KEY
    secret = settings.BINANCE_API_SECRET
    recv = int(getattr(settings, "BINANCE_RECV_WINDOW", 5000))
    timeout = float(getattr(settings, "BINANCE_HTTP_TIMEOUT", 10))
    # The cache key holds a digest of the secret, never the secret itself.
    digest = hashlib.sha256(f"{key}:{secret}".encode()).hexdigest()
    cache_key = (base, digest, recv, timeout)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(cache_key)
        if client is None:
            client = BinanceFutures(base, key, secret, recv_window=recv, timeout=timeout)
            _CLIENTS[cache_key] = client
        return client
