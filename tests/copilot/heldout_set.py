"""The held-out evaluation set (issue 25): written apart from the tuning set (eval_set.py) and
never used to tune the parser. Systematic variations of the commands: paraphrases, Turkish and
English word orders, suffixes, typos, dropped diacritics, and numbers in every slot.

Same shape as eval_set.CASES: (prompt, intent, body, context).
"""

from __future__ import annotations

from tests.copilot.eval_set import close, limit, order

LONG = {
    "positions": [{"symbol": "ETHUSDT", "positionAmt": "0.04", "markPrice": "3400"}],
    "stepSizes": {"ETHUSDT": "0.001"},
}
SHORT_BTC = {
    "positions": [{"symbol": "BTCUSDT", "positionAmt": "-0.004", "markPrice": "65000"}],
    "stepSizes": {"BTCUSDT": "0.001"},
}
MARKS = {"marks": {"ETHUSDT": "3400", "BTCUSDT": "65000", "SOLUSDT": "150"}}
MARKS["stepSizes"] = {"ETHUSDT": "0.001", "BTCUSDT": "0.001", "SOLUSDT": "1"}
BAL = {**MARKS, "balance": {"availableBalance": "2000"}}
ORDERS = {
    "openOrders": [
        {
            "symbol": "BTCUSDT",
            "orderId": 4401,
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.002",
            "price": "60000",
        }
    ]
}


def stop(symbol, side, qty, trigger, **extra):
    return order(symbol, side, qty, "STOP_MARKET", stopPrice=trigger, **extra)


def protect(symbol, dry=True, **legs):
    """POST /futures/position.protect: TP and/or SL on the whole position (closePosition)."""
    return {"symbol": symbol, **legs, "dryRun": dry}


CASES: list[tuple] = [
    # --- limit orders: price and quantity in every order, suffixes, both decimal marks
    ("ETH 3000'den 0,01 limit al", "order.place", limit("ETHUSDT", "BUY", "0.01", "3000"), None),
    (
        "0,01 ETH 3000 fiyattan limit al",
        "order.place",
        limit("ETHUSDT", "BUY", "0.01", "3000"),
        None,
    ),
    (
        "limit alış ETH 0.01 fiyat 3000",
        "order.place",
        limit("ETHUSDT", "BUY", "0.01", "3000"),
        None,
    ),
    (
        "eth icin 3000 fiyattan 0,01 limit alis",
        "order.place",
        limit("ETHUSDT", "BUY", "0.01", "3000"),
        None,
    ),
    (
        "0,01'lik ETH limit al 3000'den",
        "order.place",
        limit("ETHUSDT", "BUY", "0.01", "3000"),
        None,
    ),
    ("buy 0.01 eth limit at 3000", "order.place", limit("ETHUSDT", "BUY", "0.01", "3000"), None),
    ("limit buy 0.01 eth @ 3000", "order.place", limit("ETHUSDT", "BUY", "0.01", "3000"), None),
    (
        "place a limit order to buy 0.01 ETH at 3,000",
        "order.place",
        limit("ETHUSDT", "BUY", "0.01", "3000"),
        None,
    ),
    ("sell 0.002 btc limit 70000", "order.place", limit("BTCUSDT", "SELL", "0.002", "70000"), None),
    (
        "BTC 0,002 adet 70.000'den limit sat",
        "order.place",
        limit("BTCUSDT", "SELL", "0.002", "70000"),
        None,
    ),
    (
        "btc'yi 70000 fiyattan 0.002 limit sat",
        "order.place",
        limit("BTCUSDT", "SELL", "0.002", "70000"),
        None,
    ),
    (
        "limt sat btc 0.002 fiyat 70000",
        "order.place",
        limit("BTCUSDT", "SELL", "0.002", "70000"),
        None,
    ),
    # --- market orders
    ("0,05 ETH al", "order.place", order("ETHUSDT", "BUY", "0.05"), None),
    ("ETH'den 0,05 al", "order.place", order("ETHUSDT", "BUY", "0.05"), None),
    ("piyasadan 0.05 eth alalım", "order.place", order("ETHUSDT", "BUY", "0.05"), None),
    ("market buy 0.05 eth", "order.place", order("ETHUSDT", "BUY", "0.05"), None),
    ("buy eth 0.05 at market", "order.place", order("ETHUSDT", "BUY", "0.05"), None),
    ("sat 2 SOL", "order.place", order("SOLUSDT", "SELL", "2"), None),
    ("SOL'dan 2 adet sat", "order.place", order("SOLUSDT", "SELL", "2"), None),
    ("sell two sol", "clarify", None, None),  # a number as a word: asked, never guessed
    ("0.001 bitcoin satın al", "order.place", order("BTCUSDT", "BUY", "0.001"), None),
    ("gercek emir 0.01 eth al", "order.place", order("ETHUSDT", "BUY", "0.01", dry=False), None),
    ("live: sell 0.01 eth", "order.place", order("ETHUSDT", "SELL", "0.01", dry=False), None),
    # --- stop orders: the trigger named by stop/tetik, in either order
    ("ETH stop market 3000 sat 0.01", "order.place", stop("ETHUSDT", "SELL", "0.01", "3000"), None),
    ("eth 0.01 sat stop 3000", "order.place", stop("ETHUSDT", "SELL", "0.01", "3000"), None),
    (
        "ETH 3000'de stop market 0,01 sat",
        "order.place",
        stop("ETHUSDT", "SELL", "0.01", "3000"),
        None,
    ),
    ("sell 0.01 eth stop 3000", "order.place", stop("ETHUSDT", "SELL", "0.01", "3000"), None),
    (
        "stop-market sell 0.01 eth trigger 3000",
        "order.place",
        stop("ETHUSDT", "SELL", "0.01", "3000"),
        None,
    ),
    ("0,01 eth tetik 3500 al", "order.place", stop("ETHUSDT", "BUY", "0.01", "3500"), None),
    # --- notional and share of the balance
    ("100 dolarlik eth al", "order.place", order("ETHUSDT", "BUY", "0.029"), MARKS),
    ("ETH'den 100 dolarlık al", "order.place", order("ETHUSDT", "BUY", "0.029"), MARKS),
    ("100 USDT'lik ETH al", "order.place", order("ETHUSDT", "BUY", "0.029"), MARKS),
    ("buy $100 of eth", "order.place", order("ETHUSDT", "BUY", "0.029"), MARKS),
    ("buy 100 usdt worth of eth", "order.place", order("ETHUSDT", "BUY", "0.029"), MARKS),
    ("300 dolarlık SOL sat", "order.place", order("SOLUSDT", "SELL", "2"), MARKS),
    ("bakiyemin %5'i ile ETH al", "order.place", order("ETHUSDT", "BUY", "0.029"), BAL),
    ("bakiyemin yüzde 5'i kadar eth al", "order.place", order("ETHUSDT", "BUY", "0.029"), BAL),
    ("buy eth with 5% of my balance", "order.place", order("ETHUSDT", "BUY", "0.029"), BAL),
    ("100 dolarlık ETH al", "clarify", None, None),
    # --- closes against the account
    ("ETH pozisyonunu kapat", "position.close", close("ETHUSDT", "SELL", "0.04"), LONG),
    ("eth pozisyonumu kapa", "position.close", close("ETHUSDT", "SELL", "0.04"), LONG),
    ("pozisyonumu kapatır mısın", "clarify", None, LONG),  # asked as a question
    ("close my position", "position.close", close("ETHUSDT", "SELL", "0.04"), LONG),
    ("close eth", "position.close", close("ETHUSDT", "SELL", "0.04"), LONG),
    ("btc short'umu kapat", "position.close", close("BTCUSDT", "BUY", "0.004"), SHORT_BTC),
    ("close my btc short", "position.close", close("BTCUSDT", "BUY", "0.004"), SHORT_BTC),
    ("ETH'nin yarısını kapat", "position.close", close("ETHUSDT", "SELL", "0.02"), LONG),
    ("eth pozisyonunun yarisini kapat", "position.close", close("ETHUSDT", "SELL", "0.02"), LONG),
    ("close half of my eth position", "position.close", close("ETHUSDT", "SELL", "0.02"), LONG),
    ("ETH pozisyonunun %25'ini kapat", "position.close", close("ETHUSDT", "SELL", "0.01"), LONG),
    ("close 25% of my eth", "position.close", close("ETHUSDT", "SELL", "0.01"), LONG),
    ("ETH 0,01 kapat", "position.close", close("ETHUSDT", "SELL", "0.01"), LONG),
    # --- protective orders on the held position
    (
        "ETH stop loss 3300",
        "position.protect",
        protect("ETHUSDT", stopLoss="3300"),
        LONG,
    ),
    (
        "eth stoploss 3300",
        "position.protect",
        protect("ETHUSDT", stopLoss="3300"),
        LONG,
    ),
    (
        "ETH'ye 3300'den stop loss koy",
        "position.protect",
        protect("ETHUSDT", stopLoss="3300"),
        LONG,
    ),
    (
        "ETH zarar durdur 3300",
        "position.protect",
        protect("ETHUSDT", stopLoss="3300"),
        LONG,
    ),
    (
        "set a stop loss at 3300 on eth",
        "position.protect",
        protect("ETHUSDT", stopLoss="3300"),
        LONG,
    ),
    (
        "sl 3300 eth",
        "position.protect",
        protect("ETHUSDT", stopLoss="3300"),
        LONG,
    ),
    (
        "ETH take profit 3700",
        "position.protect",
        protect("ETHUSDT", takeProfit="3700"),
        LONG,
    ),
    (
        "eth kar al 3700",
        "position.protect",
        protect("ETHUSDT", takeProfit="3700"),
        LONG,
    ),
    (
        "tp 3700 on my eth",
        "position.protect",
        protect("ETHUSDT", takeProfit="3700"),
        LONG,
    ),
    (
        "BTC stop loss 68000",
        "position.protect",
        protect("BTCUSDT", stopLoss="68000"),
        SHORT_BTC,
    ),
    ("BTC stop loss 60000", "clarify", None, SHORT_BTC),  # below the mark of a short
    # --- leverage, margin, cancel
    ("BTC kaldıracını 10x yap", "leverage.set", {"symbol": "BTCUSDT", "leverage": 10}, None),
    ("kaldirac 10 btc", "leverage.set", {"symbol": "BTCUSDT", "leverage": 10}, None),
    ("set leverage 10x on btc", "leverage.set", {"symbol": "BTCUSDT", "leverage": 10}, None),
    (
        "eth marjinini izole yap",
        "margin.set",
        {"symbol": "ETHUSDT", "marginType": "ISOLATED"},
        None,
    ),
    (
        "eth marjin tipini capraz yap",
        "margin.set",
        {"symbol": "ETHUSDT", "marginType": "CROSSED"},
        None,
    ),
    ("BTC 4401 nolu emri iptal et", "order.cancel", {"symbol": "BTCUSDT", "orderId": 4401}, ORDERS),
    ("cancel btc order 4401", "order.cancel", {"symbol": "BTCUSDT", "orderId": 4401}, ORDERS),
    # not one of the caller's: proposed with a warning, the API's owner check decides
    ("BTC 9999 nolu emri iptal et", "order.cancel", {"symbol": "BTCUSDT", "orderId": 9999}, ORDERS),
    (
        "BTC emrimi 61000'e çek",
        "order.modify",
        {
            "symbol": "BTCUSDT",
            "orderId": 4401,
            "quantity": "0.002",
            "price": "61000",
        },
        ORDERS,
    ),
    (
        "change my btc order price to 61000",
        "order.modify",
        {
            "symbol": "BTCUSDT",
            "orderId": 4401,
            "quantity": "0.002",
            "price": "61000",
        },
        ORDERS,
    ),
    # --- reads and questions
    ("karim ne kadar", "pnl.summary", None, None),
    ("bugün ne kadar kazandım", "pnl.summary", None, None),
    ("how much profit did I make today", "pnl.summary", None, None),
    ("eth fonlama orani", "market.funding", {"symbol": "ETHUSDT"}, None),
    ("btc funding rate?", "market.funding", {"symbol": "BTCUSDT"}, None),
    ("eth likidasyon fiyati ne", "position.liquidation", None, LONG),
    ("where is my liquidation price", "position.liquidation", None, LONG),
    ("marjin oranım ne", "account.margin", None, None),
    ("canary onayla", "canary.confirm", {"runId": 3}, {"lastCanaryRunId": 3}),
    ("approve canary", "canary.confirm", {"runId": 3}, {"lastCanaryRunId": 3}),
    ("canary onayla", "clarify", None, None),
    # --- negations and questions among ordinary commands
    ("ETH almayın", "clarify", None, None),
    ("please don't buy eth", "clarify", None, None),
    ("eth alsam mi", "clarify", None, None),
    ("should i short btc", "clarify", None, None),
]
