"""API messages that carry values: a Turkish sentence with the values written the Turkish way
(1.234,56) on a Turkish request, the English sentence on an English one; never the code's
generic sentence instead (spark_site/error_messages.py, DomainError(template, params=...)).

Every refusal here is real: the stand-in exchange, the risk gate, the canary service.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from risk.errors import RiskRejected
from risk.gate import Decision
from spark_site.error_messages import CODE_MESSAGES, message_of, number, render
from tests.support.stand_in import run_canary

pytestmark = pytest.mark.django_db

ETH = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET"}


def _both(api, token, path, body) -> tuple[dict, dict]:
    """The error (or answer) of the same request asked in Turkish and in English."""
    tr = api.post(path, body, token=token, lang="tr")
    en = api.post(path, body, token=token, lang="en")
    assert tr.status_code == en.status_code, (tr.content, en.content)
    return tr.json(), en.json()


def _not_generic(error: dict) -> None:
    """The Turkish text is the message's own sentence, not the code's catch-all one."""
    with translation.override("tr"):
        from django.utils.translation import gettext

        generic = gettext(CODE_MESSAGES.get(error["code"], "")) if error["code"] else ""
    assert error["message"] != generic, error


def _hold(api, token, quantity="0.02"):
    body = {**ETH, "quantity": quantity, "dryRun": False}
    assert api.post("/futures/order.place", body, token=token).status_code == 200
    assert api.get("/futures/positions", token=token).status_code == 200


def test_turkish_figures_keep_every_digit_and_group_thousands():
    assert number(Decimal("3000.123"), "tr") == "3.000,123"
    assert number(Decimal("-1234567.5"), "tr") == "-1.234.567,5"
    assert number(Decimal("0.0085"), "tr") == "0,0085"
    assert number(Decimal("3000.123"), "en") == "3000.123"  # English as the API always wrote it
    # an order number or a run number is not a figure: never grouped
    assert render("%(ref)s %(v)s", {"ref": 123456, "v": Decimal("123456")}, "tr") == (
        "123456 123.456"
    )


def test_a_filter_refusal_names_its_figures_in_turkish(api, alice, token_for, exchange):
    tr, en = _both(api, token_for(alice), "/futures/order.place", {**ETH, "quantity": "0.0001"})
    assert tr["error"]["code"] == en["error"]["code"] == "FILTER_REJECTED"
    _not_generic(tr["error"])
    assert tr["error"]["message"] == (
        "Miktar 0,0001, adıma (0,001) aşağı yuvarlanınca 0,000 oluyor; ETHUSDT için asgari "
        "miktar 0,001."
    )
    assert en["error"]["message"] == (
        "Quantity 0.0001 is below the minimum 0.001 of ETHUSDT (step 0.001) after rounding "
        "down to 0.000."
    )
    assert tr["error"]["details"] == en["error"]["details"]  # codes and figures stay as they are


def test_a_risk_refusal_lists_each_rule_with_its_figures(api, alice, token_for, exchange):
    tr, en = _both(api, token_for(alice), "/futures/order.place", {**ETH, "quantity": "1"})
    assert tr["error"]["code"] == "RISK_REJECTED"
    _not_generic(tr["error"])
    text = tr["error"]["message"]
    assert text.startswith("Risk kapısı emri reddetti (max_notional, max_position): ")
    assert "Emir tutarı 3.400 USD, azami emir tutarı 100 USD sınırını aşıyor." in text
    assert "ETHUSDT: emirden sonraki pozisyon 3.400 USD olur; azami pozisyon 500 USD." in text
    assert "Order notional 3400 USD is above the max notional 100 USD." in en["error"]["message"]


def test_a_risk_refusal_with_a_filter_conflict_says_both_in_turkish():
    decision = Decision(
        allowed=False,
        rules=[
            {
                "rule": "max_notional",
                "limit": "100",
                "value": "1234.5",
                "message": "x",
                "unit": "USD",
            }
        ],
        conflicts=[
            {
                "symbol": "BTCUSDT",
                "limit": "max_notional_usd",
                "limitValue": "100",
                "filter": "MIN_NOTIONAL",
                "filterValue": "100",
                "message": "x",
            }
        ],
        facts={"symbol": "BTCUSDT"},
    )
    exc = RiskRejected(decision)
    with translation.override("tr"):
        text = message_of(exc)
    assert "Emir tutarı 1.234,5 USD" in text
    assert "Çakışma: BTCUSDT: borsanın asgari emir tutarı 100 USD" in text
    with translation.override("en"):
        assert message_of(exc) == exc.message  # the gate's own English sentences


def test_an_unknown_rule_falls_back_to_the_codes_sentence_not_to_english():
    decision = Decision(
        allowed=False,
        rules=[{"rule": "new_rule", "limit": "1", "value": "2", "message": "New rule hit."}],
        facts={"symbol": "ETHUSDT"},
    )
    with translation.override("tr"):
        text = message_of(RiskRejected(decision))
    assert text.startswith("Risk kapısı emri reddetti")
    assert "New rule" not in text


def test_the_rounding_notice_of_a_placed_order_is_turkish(api, alice, token_for, exchange):
    body = {
        **ETH,
        "type": "LIMIT",
        "quantity": "0.0085",
        "price": "3000.123",
        "timeInForce": "GTC",
    }
    tr, en = _both(api, token_for(alice), "/futures/order.place", body)
    assert tr["message"] == (
        "Dry-run: doğrulandı; piyasa fiyatına ulaşana kadar kâğıt üzerinde bekler; borsaya "
        "hiçbir şey gönderilmedi. Sembolün adımına ve fiyat adımına yuvarlandı: miktar 0,0085 "
        "→ 0,008, fiyat 3.000,123 → 3.000,12."
    )
    assert en["message"].endswith(
        "Rounded to the symbol's step and tick: quantity 0.0085 → 0.008, price 3000.123 → 3000.12."
    )
    assert tr["rounded"] == en["rounded"]  # the API's data is the same in both languages


def test_a_live_order_says_where_it_went_with_its_status_in_words(api, alice, token_for, exchange):
    token = token_for(alice)
    tr = api.post("/futures/order.place", {**ETH, "quantity": "0.01", "dryRun": False}, token=token)
    assert tr.status_code == 200, tr.content
    assert tr.json()["message"].startswith("Borsaya gönderildi (")
    assert "FILLED" not in tr.json()["message"]
    en = api.post(
        "/futures/order.place", {**ETH, "quantity": "0.01", "dryRun": False}, token=token, lang="en"
    )
    assert en.json()["message"].startswith("Sent to the exchange (")
    assert en.json()["message"].endswith(": FILLED.")


def test_close_and_protect_refusals_carry_their_figures(api, alice, token_for, exchange):
    token = token_for(alice)
    tr, en = _both(api, token, "/futures/position.close", {"symbol": "ETHUSDT"})
    assert tr["error"]["code"] == "NO_POSITION"
    assert tr["error"]["message"] == "Açık bir ETHUSDT pozisyonu yok."
    assert en["error"]["message"] == "There is no open ETHUSDT position."
    _hold(api, token)
    tr, en = _both(
        api, token, "/futures/position.close", {"symbol": "ETHUSDT", "quantity": "1234.5"}
    )
    assert tr["error"]["message"] == "1.234,5 miktarı ETHUSDT pozisyonundan (0,02) büyük."
    assert tr["error"]["details"]["fields"][0]["message"] == tr["error"]["message"]
    assert en["error"]["message"] == "Quantity 1234.5 is bigger than the ETHUSDT position 0.02."
    tr, en = _both(
        api, token, "/futures/position.protect", {"symbol": "ETHUSDT", "stopLoss": "3600"}
    )
    assert tr["error"]["message"] == "Uzun pozisyonda stopLoss, işaret fiyatı 3.400 altında olmalı."
    assert en["error"]["message"] == (
        "stopLoss must be below the mark price 3400 for a long position."
    )


def test_modify_and_cancel_refusals_name_the_order(api, alice, token_for, exchange):
    token = token_for(alice)
    body = {"symbol": "ETHUSDT", "clientOrderId": "nope-1", "price": "3000"}
    tr, en = _both(api, token, "/futures/order.modify", body)
    assert tr["error"]["message"] == "ETHUSDT için nope-1 emri yok."
    assert en["error"]["message"] == "No order nope-1 of ETHUSDT."
    # a resting LIMIT, cancelled: it can no longer be modified, and the status is in words
    limit = {**ETH, "type": "LIMIT", "quantity": "0.01", "price": "3000", "timeInForce": "GTC"}
    placed = api.post("/futures/order.place", {**limit, "dryRun": False}, token=token).json()
    cid = placed["order"]["clientOrderId"]
    cancel = {"symbol": "ETHUSDT", "clientOrderId": cid}
    assert api.post("/futures/order.cancel", cancel, token=token).status_code == 200
    tr, en = _both(api, token, "/futures/order.modify", {**cancel, "price": "3100"})
    assert tr["error"]["code"] == "ORDER_NOT_MODIFIABLE"
    _not_generic(tr["error"])
    assert tr["error"]["message"] == f"{cid} emri artık değiştirilemez: durumu iptal edildi."
    assert en["error"]["message"] == f"Order {cid} can no longer be modified: it is CANCELED."


def test_an_exchange_refusal_keeps_its_code_in_a_turkish_sentence(api, alice, token_for, exchange):
    token = token_for(alice)
    _hold(api, token)
    body = {"symbol": "ETHUSDT", "amount": "5", "type": "ADD"}  # the position is cross margin
    tr, en = _both(api, token, "/futures/positionMargin", body)
    assert tr["error"]["code"] == "EXCHANGE_REJECTED"
    assert tr["error"]["message"].startswith("Borsa isteği reddetti (kod -4049).")
    assert en["error"]["message"].startswith("Exchange error -4049: ")


def test_canary_refusals_carry_the_run_and_its_time(api, alice, token_for, exchange):
    token = token_for(alice)
    tr, en = _both(api, token, "/canary/confirm", {"runId": 987654})
    assert tr["error"]["message"] == "987654 numaralı canary koşusu yok."  # a number, not 987.654
    assert en["error"]["message"] == "No canary run 987654."
    run = run_canary(api, token)
    from canary.models import CanaryRun

    CanaryRun.objects.filter(pk=run["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = CanaryRun.objects.get(pk=run["id"]).expires_at
    tr = api.post("/canary/confirm", {"runId": run["id"]}, token=token, lang="tr").json()
    assert tr["error"]["code"] == "CANARY_EXPIRED"
    istanbul = expired.astimezone(timezone.get_fixed_timezone(180)).strftime("%d.%m.%Y %H:%M:%S")
    assert tr["error"]["message"] == (
        f"{run['id']} numaralı canary koşusunun süresi {istanbul} (İstanbul) itibarıyla doldu; "
        "yeni bir koşu başlatın."
    )
    # asked again, the run is EXPIRED: that status, in words on a Turkish request
    en = api.post("/canary/confirm", {"runId": run["id"]}, token=token, lang="en").json()
    assert en["error"]["message"] == f"Canary run {run['id']} cannot be confirmed: it is EXPIRED."
    tr = api.post("/canary/confirm", {"runId": run["id"]}, token=token, lang="tr").json()
    assert tr["error"]["message"] == (
        f"{run['id']} numaralı canary koşusu onaylanamaz: durumu süresi doldu."
    )


def test_order_shape_and_symbol_refusals_name_the_value(api, alice, token_for, exchange):
    token = token_for(alice)
    body = {**ETH, "type": "STOP_MARKET", "quantity": "0.01"}
    tr, en = _both(api, token, "/futures/order.place", body)
    assert tr["error"]["message"] == "STOP_MARKET emri için tetik fiyatı (stopPrice) gerekli."
    assert en["error"]["message"] == "A STOP_MARKET order needs a stopPrice (its trigger price)."
    tr, en = _both(
        api, token, "/futures/order.place", {**ETH, "symbol": "NOPEUSDT", "quantity": "0.01"}
    )
    assert tr["error"]["code"] == "FILTER_REJECTED"
    assert tr["error"]["message"] == "NOPEUSDT borsada listelenen bir sembol değil."
    assert en["error"]["message"] == "NOPEUSDT is not a symbol of the exchange."


def test_strategy_lab_refusals_name_their_object(api, alice, token_for):
    token = token_for(alice)
    for path, tr_text, en_text in (
        ("/strategies/runners/987654", "987654 numaralı çalıştırıcı bulunamadı", "runner 987654"),
        ("/strategies/proposals/987654", "987654 numaralı öneri bulunamadı", "proposal 987654"),
        (
            "/strategies/backtests/987654",
            "987654 numaralı geriye dönük test bulunamadı",
            "backtest",
        ),
    ):
        tr = api.client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="tr")
        en = api.client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
        assert tr.status_code == en.status_code == 404, (path, tr.content)
        assert tr.json()["error"]["message"] == tr_text
        assert en.json()["error"]["message"].startswith(en_text)
        assert en.json()["error"]["message"].endswith(" not found")


def _get_both(api, token, path, **params) -> tuple[dict, dict]:
    """The error of the same GET asked in Turkish and in English."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    tr = api.client.get(path, params, HTTP_ACCEPT_LANGUAGE="tr", **auth)
    en = api.client.get(path, params, HTTP_ACCEPT_LANGUAGE="en", **auth)
    assert tr.status_code == en.status_code, (tr.content, en.content)
    return tr.json(), en.json()


def _in(language: str, exc) -> str:
    with translation.override(language):
        return message_of(exc)


def test_chart_refusals_name_the_interval_the_limit_and_the_symbol(api, bob, token_for, exchange):
    token = token_for(bob)  # a read: the lowest role asks
    tr, en = _get_both(api, token, "/futures/klines", symbol="ETHUSDT", interval="7m")
    _not_generic(tr["error"])
    assert tr["error"]["message"] == "interval şunlardan biri olmalı: 1m, 5m, 15m, 1h, 4h, 1d."
    assert en["error"]["message"] == "interval must be one of 1m, 5m, 15m, 1h, 4h, 1d."
    tr, en = _get_both(api, token, "/futures/klines", symbol="ETHUSDT", limit=100000)
    assert tr["error"]["message"] == "limit 1 ile 1500 arasında olmalı."
    assert en["error"]["message"] == "limit must be 1 to 1500."
    tr, en = _get_both(api, token, "/futures/klines", symbol="NOPEUSDT")
    assert tr["error"]["code"] == en["error"]["code"] == "UNKNOWN_SYMBOL"
    assert tr["error"]["message"] == "NOPEUSDT borsada işlem gören bir sembol değil."
    assert en["error"]["message"] == "NOPEUSDT is not a symbol the exchange trades."


def test_streams_for_a_symbol_not_traded_name_it(api, olga, token_for, exchange):
    tr, en = _both(api, token_for(olga), "/futures/ws.start", {"symbols": ["ETHUSDT", "NOPEUSDT"]})
    assert tr["error"]["code"] == "UNKNOWN_SYMBOL"
    _not_generic(tr["error"])
    assert tr["error"]["message"] == "Borsada işlem görmüyor: NOPEUSDT."
    assert en["error"]["message"] == "Not traded on the exchange: NOPEUSDT."


def test_a_role_one_step_too_low_is_told_which_permission_it_lacks(api, bob, token_for, exchange):
    tr, en = _both(api, token_for(bob), "/futures/order.place", {**ETH, "quantity": "0.01"})
    assert tr["error"]["code"] == "PERMISSION_DENIED"
    _not_generic(tr["error"])
    assert tr["error"]["message"].endswith("yetkiniz yok.")
    assert "futures.place_order" in tr["error"]["message"]
    assert en["error"]["message"].startswith("You do not have the permission futures.place_order")


def test_an_exchange_that_does_not_answer_gives_its_code_in_turkish(exchange):
    import socket

    from futures.binance.errors import BinanceError
    from futures.binance.rest import BinanceFutures

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    client = BinanceFutures(closed, "k", "s" * 32, timeout=2)
    with pytest.raises(BinanceError) as caught:
        client.ping()
    exc = caught.value
    assert exc.code == "EXCHANGE_UNAVAILABLE"
    assert _in("tr", exc) == (
        "Borsaya ulaşılamıyor ya da borsa yanıt vermiyor (kod -1001); hiçbir şey değiştirilmedi."
    )
    assert _in("en", exc) == exc.message and "Network error calling GET" in exc.message


def test_a_rate_limit_says_when_to_try_again_the_turkish_way():
    from futures.binance.errors import RateLimited

    exc = RateLimited(-1003, "Too many requests; current limit is 2400.", 429, retry_after=1.5)
    assert _in("tr", exc) == (
        "Borsanın istek sınırına ulaşıldı; 1,5 saniye sonra tekrar deneyin (hiçbir şey "
        "gönderilmedi)."
    )
    assert _in("en", exc) == "Exchange error -1003: Too many requests; current limit is 2400."
    assert "Too many" not in _in("tr", exc)  # the exchange's English stays out of Turkish


def test_batch_refusals_name_the_limit_and_the_count(exchange):
    from futures.binance.rest import MAX_BATCH_CANCELS, MAX_BATCH_ORDERS, client_from_settings
    from spark_site.errors import ValidationFailed

    client = client_from_settings()
    too_many = [{"symbol": "ETHUSDT"}] * (MAX_BATCH_ORDERS + 1)
    with pytest.raises(ValidationFailed) as caught:
        client.place_batch(too_many)
    count = MAX_BATCH_ORDERS + 1
    assert _in("tr", caught.value) == (
        f"Bir toplu istek 1 ile {MAX_BATCH_ORDERS} arasında emir taşır; gelen: {count}."
    )
    assert _in("en", caught.value) == f"A batch holds 1 to {MAX_BATCH_ORDERS} orders, got {count}."
    with pytest.raises(ValidationFailed) as caught:
        client.cancel_batch("ETHUSDT", client_order_ids=[])
    assert _in("tr", caught.value) == (
        f"Toplu iptal 1 ile {MAX_BATCH_CANCELS} arasında emir taşır; gelen: 0."
    )


def test_an_order_status_move_names_both_statuses_in_words(alice):
    from futures.models import IllegalTransition, Order

    order = Order.objects.create(
        symbol="ETHUSDT",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.01"),
        price=Decimal("3000"),
        client_order_id="msg-transition-1",
        environment="testnet",
        status="FILLED",
        user=alice,
    )
    with pytest.raises(IllegalTransition) as caught:
        order.apply_status("NEW", strict=True)
    tr = _in("tr", caught.value)
    assert "FILLED" not in tr and "NEW" not in tr, tr
    assert tr.startswith('Bir emir "')
    assert _in("en", caught.value) == "An order cannot move from FILLED to NEW."


def test_a_strategy_document_refusal_names_its_value_in_turkish():
    from spark_site.errors import ValidationFailed
    from strategies.documents import ema_cross, get_param, normalize

    for bad, tr_text, en_text in (
        ({"timeframe": "7m"}, "bilinmeyen zaman dilimi '7m'", "unknown timeframe '7m'"),
        ({"side": "sideways"}, "side long ya da short olmalı", "side must be long or short"),
        ({"entry": {"logic": "xor", "rules": []}}, "entry.logic all ya da any olmalı", None),
    ):
        with pytest.raises(ValidationFailed) as caught:
            normalize({**ema_cross(), **bad})
        assert caught.value.code == "INVALID_STRATEGY"
        assert _in("tr", caught.value) == tr_text
        if en_text:
            assert _in("en", caught.value) == en_text
    with pytest.raises(ValidationFailed) as caught:
        get_param(ema_cross(), "nope.period")
    assert _in("tr", caught.value) == "bilinmeyen parametre 'nope.period'"
