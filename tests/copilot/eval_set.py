"""The copilot's intent-evaluation set: sentences as traders type them, with the expected action.

Each case: (prompt, intent, body, context). `body` is the exact expected action body (None for
reads); the method and path follow from the intent (copilot.parser.COMMANDS), except
position.close, which is an order.place action. Context, when given, is the page state.
"""

from __future__ import annotations


def order(symbol, side, qty, type_="MARKET", dry=True, **extra):
    body = {"symbol": symbol, "side": side, "type": type_, "quantity": qty}
    body.update(extra)
    body["dryRun"] = dry
    return body


def limit(symbol, side, qty, price, dry=True, tif="GTC", **extra):
    return order(symbol, side, qty, "LIMIT", dry, price=price, timeInForce=tif, **extra)


def close(symbol, side, qty, dry=True):
    return {
        "symbol": symbol,
        "side": side,
        "type": "MARKET",
        "quantity": qty,
        "reduceOnly": True,
        "dryRun": dry,
    }


STREAMS = {"symbols": ["BTCUSDT", "ETHUSDT"]}  # SPARK_STREAM_SYMBOLS default
DEFAULT = order("ETHUSDT", "BUY", "0.008")  # the canary's small default
BREAKER_OPEN = {"breakerOpen": True}

CASES: list[tuple] = [
    # --- the seed's commands, as typed
    ("WS başlat", "ws.start", STREAMS, None),
    ("ws baslat", "ws.start", STREAMS, None),
    ("websocket'i başlat", "ws.start", STREAMS, None),
    ("WS BAŞLAT", "ws.start", STREAMS, None),
    ("ws başlatt", "ws.start", STREAMS, None),
    ("akışları başlat lütfen", "ws.start", STREAMS, None),
    ("start the websocket", "ws.start", STREAMS, None),
    ("start streams", "ws.start", STREAMS, None),
    ("can you start the ws for btc and sol", "ws.start", {"symbols": ["BTCUSDT", "SOLUSDT"]}, None),
    ("ETH ve BTC için ws başlat", "ws.start", {"symbols": ["ETHUSDT", "BTCUSDT"]}, None),
    ("dry-run emir", "order.place", DEFAULT, None),
    ("dry run emir", "order.place", DEFAULT, None),
    ("dryrun emir at", "order.place", DEFAULT, None),
    ("deneme emri gönder", "order.place", DEFAULT, None),
    ("send a dry-run order", "order.place", DEFAULT, None),
    ("test order pls", "order.place", DEFAULT, None),
    ("canary", "canary.run", {}, None),
    ("canary çalıştır", "canary.run", {}, None),
    ("kanarya testi başlat", "canary.run", {}, None),
    ("run the canary", "canary.run", {}, None),
    ("canary run on ETH", "canary.run", {"symbol": "ETHUSDT"}, None),
    (
        "canary btc 0.001 al ile",
        "canary.run",
        {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.001"},
        None,
    ),
    ("canary onay", "canary.confirm", {"runId": 17}, {"lastCanaryRunId": 17}),
    ("canary onayla", "canary.confirm", {"runId": 42}, {"lastCanaryRunId": "42"}),
    ("canary 42 onayla", "canary.confirm", {"runId": 42}, None),
    ("canary 42'yi onayla", "canary.confirm", {"runId": 42}, None),
    ("confirm canary run 7", "canary.confirm", {"runId": 7}, None),
    ("approve the canary", "canary.confirm", {"runId": 9}, {"lastCanaryRunId": 9}),
    ("canary #12 onay", "canary.confirm", {"runId": 12}, None),
    ("canary onay", "clarify", None, None),
    ("kanarya onayı abc-def", "clarify", None, None),
    ("canary durumu", "canary.status", None, None),
    ("canary status?", "canary.status", None, None),
    ("portföy özeti", "portfolio.summary", None, None),
    ("portfoy ozeti", "portfolio.summary", None, None),
    ("PORTFÖY ÖZETİ", "portfolio.summary", None, None),
    ("portföyüm ne durumda", "portfolio.summary", None, None),
    ("portfolyomu göster", "portfolio.summary", None, None),
    ("portfoy ozti", "portfolio.summary", None, None),
    ("show my portfolio", "portfolio.summary", None, None),
    ("portfolio summary", "portfolio.summary", None, None),
    ("how are my holdings doing", "portfolio.summary", None, None),
    ("portfolo", "portfolio.summary", None, None),
    ("futures riskim", "risk.status", None, None),
    ("riskim ne", "risk.status", None, None),
    ("risk durumu", "risk.status", None, None),
    ("risk limitlerim", "risk.status", None, None),
    ("what's my risk", "risk.status", None, None),
    ("show risk status", "risk.status", None, None),
    ("devre kesici açık mı", "risk.status", None, None),
    ("is the circuit breaker open?", "risk.status", None, None),
    ("pozisyonlarım", "positions.list", None, None),
    ("pozisyonlarim", "positions.list", None, None),
    ("pozsiyonlarım", "positions.list", None, None),
    ("açık pozisyonlar neler", "positions.list", None, None),
    ("pozisyonlarımı göster", "positions.list", None, None),
    ("long pozisyonlarım", "positions.list", None, None),
    ("show my positions", "positions.list", None, None),
    ("my positons", "positions.list", None, None),
    ("what positions do i have open", "positions.list", None, None),
    ("açık emirler", "orders.open", None, None),
    ("acik emirler", "orders.open", None, None),
    ("açık emirlerim neler", "orders.open", None, None),
    ("bekleyen emirler", "orders.open", None, None),
    ("emirlerim", "orders.open", None, None),
    ("emirlerimi listele", "orders.open", None, None),
    ("open orders", "orders.open", None, None),
    ("show me my open orders", "orders.open", None, None),
    ("pending orders?", "orders.open", None, None),
    ("any open oders", "orders.open", None, None),
    ("metrics", "metrics", None, None),
    ("metrikler", "metrics", None, None),
    ("metrikleri göster", "metrics", None, None),
    ("prometheus metrics", "metrics", None, None),
    ("show metrics", "metrics", None, None),
    ("merhaba", "unknown", None, None),
    ("naber", "unknown", None, None),
    ("hava nasıl bugün", "unknown", None, None),
    ("asdfgh", "unknown", None, None),
    ("what's the weather like", "unknown", None, None),
    ("tell me a joke", "unknown", None, None),
    # --- orders with slots
    ("0,01 BTC al", "order.place", order("BTCUSDT", "BUY", "0.01"), None),
    ("btc 0,01 al", "order.place", order("BTCUSDT", "BUY", "0.01"), None),
    ("BTC'den 0,01 al", "order.place", order("BTCUSDT", "BUY", "0.01"), None),
    ("ETH'yi 0,05 piyasadan al", "order.place", order("ETHUSDT", "BUY", "0.05"), None),
    ("ethyi 0.05 piyasa al", "order.place", order("ETHUSDT", "BUY", "0.05"), None),
    ("0.5 eth sat", "order.place", order("ETHUSDT", "SELL", "0.5"), None),
    ("1 SOL satış", "order.place", order("SOLUSDT", "SELL", "1"), None),
    ("SOL'dan 2 adet sat", "order.place", order("SOLUSDT", "SELL", "2"), None),
    ("0.002 btc long", "order.place", order("BTCUSDT", "BUY", "0.002"), None),
    ("0.002 btc long aç", "order.place", order("BTCUSDT", "BUY", "0.002"), None),
    ("eth short aç 0,1", "order.place", order("ETHUSDT", "SELL", "0.1"), None),
    ("btc alış emri 0.003", "order.place", order("BTCUSDT", "BUY", "0.003"), None),
    ("bitcoin al 0.001", "order.place", order("BTCUSDT", "BUY", "0.001"), None),
    ("100 adet doge al", "order.place", order("DOGEUSDT", "BUY", "100"), None),
    ("XRP 50 tane sat", "order.place", order("XRPUSDT", "SELL", "50"), None),
    ("buy 0.002 btc at market", "order.place", order("BTCUSDT", "BUY", "0.002"), None),
    ("buy 0.01 btc", "order.place", order("BTCUSDT", "BUY", "0.01"), None),
    ("sell 0.2 eth market", "order.place", order("ETHUSDT", "SELL", "0.2"), None),
    ("market sell 1 sol", "order.place", order("SOLUSDT", "SELL", "1"), None),
    ("go long 0.01 btc", "order.place", order("BTCUSDT", "BUY", "0.01"), None),
    ("short 0.1 eth", "order.place", order("ETHUSDT", "SELL", "0.1"), None),
    ("buy some bnb, 0.05", "order.place", order("BNBUSDT", "BUY", "0.05"), None),
    ("ETH'den 0.5 limit sat 3500", "order.place", limit("ETHUSDT", "SELL", "0.5", "3500"), None),
    ("0,01 BTC limit al 60000", "order.place", limit("BTCUSDT", "BUY", "0.01", "60000"), None),
    ("0,01 btc 60.000'den al", "order.place", limit("BTCUSDT", "BUY", "0.01", "60000"), None),
    ("btc 0.01 al fiyat 59500", "order.place", limit("BTCUSDT", "BUY", "0.01", "59500"), None),
    ("buy 0.01 btc limit at 60000", "order.place", limit("BTCUSDT", "BUY", "0.01", "60000"), None),
    ("buy 0.01 btc @ 60000", "order.place", limit("BTCUSDT", "BUY", "0.01", "60000"), None),
    ("sell 0.5 eth at 3,500.50", "order.place", limit("ETHUSDT", "SELL", "0.5", "3500.5"), None),
    ("limit sell 1 sol at 180", "order.place", limit("SOLUSDT", "SELL", "1", "180"), None),
    (
        "limit buy eth 0.1 3000 ioc",
        "order.place",
        limit("ETHUSDT", "BUY", "0.1", "3000", tif="IOC"),
        None,
    ),
    (
        "0,01 btc limit al 60k post only",
        "order.place",
        limit("BTCUSDT", "BUY", "0.01", "60000", tif="GTX"),
        None,
    ),
    (
        "BTC 0.01 stop sat 58000",
        "order.place",
        order("BTCUSDT", "SELL", "0.01", "STOP_MARKET", stopPrice="58000"),
        None,
    ),
    (
        "stop market sell 0.01 btc trigger 58000",
        "order.place",
        order("BTCUSDT", "SELL", "0.01", "STOP_MARKET", stopPrice="58000"),
        None,
    ),
    (
        "eth 0.2 stop 3200 limit 3190 sat",
        "order.place",
        order("ETHUSDT", "SELL", "0.2", "STOP", price="3190", stopPrice="3200", timeInForce="GTC"),
        None,
    ),
    ("limit al btc", "clarify", None, None),
    (
        "0.01 btc sat reduce only",
        "order.place",
        order("BTCUSDT", "SELL", "0.01", reduceOnly=True),
        None,
    ),
    ("btc al", "order.place", order("BTCUSDT", "BUY", "0.002"), None),
    ("al", "order.place", DEFAULT, None),
    ("eth sat", "order.place", order("ETHUSDT", "SELL", "0.008"), None),
    ("pepe al", "clarify", None, None),
    ("0.01 al", "order.place", order("ETHUSDT", "BUY", "0.01"), {"symbol": "ETHUSDT"}),
    ("satın al 0,01 btc", "order.place", order("BTCUSDT", "BUY", "0.01"), None),
    ("0.01 btc aldır bana", "order.place", order("BTCUSDT", "BUY", "0.01"), None),
    ("BTCUSDT 0.004 BUY", "order.place", order("BTCUSDT", "BUY", "0.004"), None),
    ("linkusdt 3 sell", "order.place", order("LINKUSDT", "SELL", "3"), None),
    ("AVAX'tan 1,5 al", "order.place", order("AVAXUSDT", "BUY", "1.5"), None),
    # --- live orders: only when asked, always confirmed
    ("gerçek emir 0.001 BTC al", "order.place", order("BTCUSDT", "BUY", "0.001", dry=False), None),
    ("gercek 0,01 eth sat", "order.place", order("ETHUSDT", "SELL", "0.01", dry=False), None),
    ("canlı 0.01 btc al", "order.place", order("BTCUSDT", "BUY", "0.01", dry=False), None),
    ("sell 1 sol live", "order.place", order("SOLUSDT", "SELL", "1", dry=False), None),
    (
        "place a real order buy 0.002 btc",
        "order.place",
        order("BTCUSDT", "BUY", "0.002", dry=False),
        None,
    ),
    ("buy 0.01 btc for real", "order.place", order("BTCUSDT", "BUY", "0.01", dry=False), None),
    ("gerçek değil, 0.01 btc al", "order.place", order("BTCUSDT", "BUY", "0.01"), None),
    ("not a real order, just buy 0.01 btc", "order.place", order("BTCUSDT", "BUY", "0.01"), None),
    ("dry run 0,01 btc al gerçek gibi", "order.place", order("BTCUSDT", "BUY", "0.01"), None),
    # --- guardrails: the action stays
    ("0,01 BTC al", "order.place", order("BTCUSDT", "BUY", "0.01"), BREAKER_OPEN),
    ("buy 0.01 btc", "order.place", order("BTCUSDT", "BUY", "0.01"), {"streamsStale": True}),
    ("eth sat 0.1", "order.place", order("ETHUSDT", "SELL", "0.1"), {"rejectRate": 0.5}),
    # --- close a position (reduce-only)
    ("BTC long pozisyonumu 0.01 kapat", "position.close", close("BTCUSDT", "SELL", "0.01"), None),
    ("close my 0.5 ETH short", "position.close", close("ETHUSDT", "BUY", "0.5"), None),
    (
        "btc pozisyonunu kapat",
        "position.close",
        close("BTCUSDT", "SELL", "0.02"),
        {"positions": [{"symbol": "BTCUSDT", "positionAmt": "0.02"}]},
    ),
    (
        "eth pozisyonumu kapat",
        "position.close",
        close("ETHUSDT", "BUY", "0.3"),
        {"positions": [{"symbol": "ETHUSDT", "positionAmt": "-0.3"}]},
    ),
    (
        "close my btc position",
        "position.close",
        close("BTCUSDT", "SELL", "0.005"),
        {"positions": [{"symbol": "BTCUSDT", "positionAmt": "0.005"}]},
    ),
    (
        "flatten eth",
        "position.close",
        close("ETHUSDT", "SELL", "1"),
        {"positions": [{"symbol": "ETHUSDT", "positionAmt": "1"}]},
    ),
    ("sol shortumu kapat 2", "position.close", close("SOLUSDT", "BUY", "2"), None),
    ("btc pozisyonunu kapat", "clarify", None, None),
    ("pozisyon kapat", "clarify", None, None),
    (
        "gerçekten kapat btc long 0.01 canlı",
        "position.close",
        close("BTCUSDT", "SELL", "0.01", dry=False),
        None,
    ),
    # --- cancel
    (
        "BTC 123456 nolu emri iptal et",
        "order.cancel",
        {"symbol": "BTCUSDT", "orderId": 123456},
        None,
    ),
    ("cancel order 98765 on ETH", "order.cancel", {"symbol": "ETHUSDT", "orderId": 98765}, None),
    ("eth 555 iptal", "order.cancel", {"symbol": "ETHUSDT", "orderId": 555}, None),
    (
        "iptal et btc spark-a1b2c3",
        "order.cancel",
        {"symbol": "BTCUSDT", "clientOrderId": "spark-a1b2c3"},
        None,
    ),
    ("cancle 4242 btc", "order.cancel", {"symbol": "BTCUSDT", "orderId": 4242}, None),
    ("BTC'deki tüm emirleri iptal et", "order.cancelAll", {"symbol": "BTCUSDT"}, None),
    ("btcdeki tum emirleri iptal", "order.cancelAll", {"symbol": "BTCUSDT"}, None),
    ("eth emirlerinin hepsini sil", "order.cancelAll", {"symbol": "ETHUSDT"}, None),
    ("cancel all ETH orders", "order.cancelAll", {"symbol": "ETHUSDT"}, None),
    ("cancel everything on sol", "order.cancelAll", {"symbol": "SOLUSDT"}, None),
    ("kill all btc orders", "order.cancelAll", {"symbol": "BTCUSDT"}, None),
    ("hepsini iptal et", "order.cancelAll", {"symbol": "BTCUSDT"}, {"symbol": "BTCUSDT"}),
    ("tüm emirleri iptal et", "clarify", None, None),
    ("emri iptal et", "clarify", None, None),
    ("İPTAL", "clarify", None, None),
    # --- leverage and margin
    ("10x kaldıraç ETH", "leverage.set", {"symbol": "ETHUSDT", "leverage": 10}, None),
    ("eth kaldıracı 10 yap", "leverage.set", {"symbol": "ETHUSDT", "leverage": 10}, None),
    ("btc kaldiraci 5x", "leverage.set", {"symbol": "BTCUSDT", "leverage": 5}, None),
    ("BTC'nin kaldıracını 20'ye çek", "leverage.set", {"symbol": "BTCUSDT", "leverage": 20}, None),
    ("kaldraç 3 sol", "leverage.set", {"symbol": "SOLUSDT", "leverage": 3}, None),
    ("set BTC leverage to 5", "leverage.set", {"symbol": "BTCUSDT", "leverage": 5}, None),
    ("leverage 25x on eth", "leverage.set", {"symbol": "ETHUSDT", "leverage": 25}, None),
    ("change leverge to x3 for btc", "leverage.set", {"symbol": "BTCUSDT", "leverage": 3}, None),
    ("kaldıraç", "clarify", None, None),
    ("BTC marjin izole yap", "margin.set", {"symbol": "BTCUSDT", "marginType": "ISOLATED"}, None),
    (
        "eth marjinini çapraz yap",
        "margin.set",
        {"symbol": "ETHUSDT", "marginType": "CROSSED"},
        None,
    ),
    ("btc izole", "margin.set", {"symbol": "BTCUSDT", "marginType": "ISOLATED"}, None),
    (
        "btc'yi çaprazdan izoleye al",
        "margin.set",
        {"symbol": "BTCUSDT", "marginType": "ISOLATED"},
        None,
    ),
    (
        "switch ETH to cross margin",
        "margin.set",
        {"symbol": "ETHUSDT", "marginType": "CROSSED"},
        None,
    ),
    (
        "isolated margin for sol",
        "margin.set",
        {"symbol": "SOLUSDT", "marginType": "ISOLATED"},
        None,
    ),
    (
        "margin type crossed btcusdt",
        "margin.set",
        {"symbol": "BTCUSDT", "marginType": "CROSSED"},
        None,
    ),
    ("marjin tipi", "clarify", None, None),
    # --- streams
    ("WS durdur", "ws.stop", {}, None),
    ("ws'yi kapat", "ws.stop", {}, None),
    ("akışı durdur", "ws.stop", {}, None),
    ("stop the websocket", "ws.stop", {}, None),
    ("disconnect streams", "ws.stop", {}, None),
    ("ws durumu", "ws.status", None, None),
    ("ws bağlı mı", "ws.status", None, None),
    ("stream status", "ws.status", None, None),
    ("are the streams connected?", "ws.status", None, None),
    ("websocket", "ws.status", None, None),
    # --- breaker
    ("devre kesiciyi kapat", "risk.breaker.close", {"reason": "Copilot üzerinden kapatıldı"}, None),
    (
        "devre kesiciyi sıfırla",
        "risk.breaker.close",
        {"reason": "Copilot üzerinden kapatıldı"},
        None,
    ),
    (
        "breaker'ı kapat çünkü zarar kaydı düzeltildi",
        "risk.breaker.close",
        {"reason": "zarar kaydı düzeltildi"},
        None,
    ),
    (
        "reset the circuit breaker",
        "risk.breaker.close",
        {"reason": "Closed from the copilot"},
        None,
    ),
    ("close the breaker", "risk.breaker.close", {"reason": "Closed from the copilot"}, None),
    ("devre kesiciyi aç", "risk.breaker.open", {"reason": "Copilot üzerinden açıldı"}, None),
    (
        "breaker'ı devreye al çünkü borsa garip davranıyor",
        "risk.breaker.open",
        {"reason": "borsa garip davranıyor"},
        None,
    ),
    ("trip the circuit breaker", "risk.breaker.open", {"reason": "Opened from the copilot"}, None),
    ("open the breaker now", "risk.breaker.open", {"reason": "Opened from the copilot"}, None),
    ("breaker açık mı?", "risk.status", None, None),
    (
        "resume trading, close circuit breaker",
        "risk.breaker.close",
        {"reason": "Closed from the copilot"},
        None,
    ),
    # --- account
    ("bakiyem", "account.balance", None, None),
    ("bakiye", "account.balance", None, None),
    ("hesap bakiyem ne kadar", "account.balance", None, None),
    ("futures hesabım", "account.balance", None, None),
    ("account balance", "account.balance", None, None),
    ("how much money do i have", "account.balance", None, None),
    ("whats my balance", "account.balance", None, None),
    ("balanc", "account.balance", None, None),
    # --- help and health
    ("yardım", "help", None, None),
    ("neler yapabilirsin", "help", None, None),
    ("help", "help", None, None),
    ("sağlık durumu", "health", None, None),
    ("health check", "health", None, None),
    ("sistem durumu", "health", None, None),
    # --- a second batch, written before the parser saw it (slang, suffixes, questions)
    (
        "bi 0.01 btc alsana",
        "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": True},
        None,
    ),
    (
        "btc'ye 0.01 long girelim",
        "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": True},
        None,
    ),
    (
        "ethten 0,2 short",
        "order.place",
        {"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.2", "dryRun": True},
        None,
    ),
    ("şu an açık pozisyonum var mı", "positions.list", None, None),
    ("emirlerimi göster bakalım", "orders.open", None, None),
    ("eth için bekleyen emir var mı", "orders.open", None, None),
    ("sol kaldıracı 7 olsun", "leverage.set", {"symbol": "SOLUSDT", "leverage": 7}, None),
    (
        "BTC'yi izole marjine çevir",
        "margin.set",
        {"symbol": "BTCUSDT", "marginType": "ISOLATED"},
        None,
    ),
    ("ETH cross yap", "margin.set", {"symbol": "ETHUSDT", "marginType": "CROSSED"}, None),
    ("websocketi kapat", "ws.stop", {}, None),
    ("canlı veri akışını başlat", "ws.start", {"symbols": ["BTCUSDT", "ETHUSDT"]}, None),
    ("stream'leri yeniden başlat", "ws.start", {"symbols": ["BTCUSDT", "ETHUSDT"]}, None),
    ("portföyümü özetle", "portfolio.summary", None, None),
    ("ne kadar param var", "account.balance", None, None),
    ("hesabımda ne kadar usdt var", "account.balance", None, None),
    ("risk limitlerim neler", "risk.status", None, None),
    ("son canary ne oldu", "canary.status", None, None),
    ("canaryi onayla 15", "canary.confirm", {"runId": 15}, None),
    ("btc emrini iptal et 777", "order.cancel", {"symbol": "BTCUSDT", "orderId": 777}, None),
    ("bütün emirleri sil btc", "order.cancelAll", {"symbol": "BTCUSDT"}, None),
    ("tüm açık emirleri iptal et eth", "order.cancelAll", {"symbol": "ETHUSDT"}, None),
    (
        "buy 0.5 eth limit 3200 gtc",
        "order.place",
        {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.5",
            "price": "3200",
            "timeInForce": "GTC",
            "dryRun": True,
        },
        None,
    ),
    (
        "sell 0.01 btc stop 55000",
        "order.place",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "STOP_MARKET",
            "quantity": "0.01",
            "stopPrice": "55000",
            "dryRun": True,
        },
        None,
    ),
    (
        "place a limit buy for 0.1 eth at 2,950",
        "order.place",
        {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.1",
            "price": "2950",
            "timeInForce": "GTC",
            "dryRun": True,
        },
        None,
    ),
    (
        # issue 25: the number names the position; half of it is closed
        "close half of my eth long 0.5",
        "position.close",
        {
            "symbol": "ETHUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.25",
            "reduceOnly": True,
            "dryRun": True,
        },
        None,
    ),
    ("what's open right now", "orders.open", None, None),
    ("how much leverage am i on btc", "positions.list", None, None),
    (
        "set margin to isolated on btcusdt",
        "margin.set",
        {"symbol": "BTCUSDT", "marginType": "ISOLATED"},
        None,
    ),
    ("kill the stream", "ws.stop", {}, None),
    ("is everything ok", "health", None, None),
    ("metrikleri getir", "metrics", None, None),
    ("prometheus", "metrics", None, None),
    (
        "canary'yi çalıştır 0.002 btc ile",
        "canary.run",
        {"symbol": "BTCUSDT", "quantity": "0.002"},
        None,
    ),
    ("10 kat kaldıraç btc", "leverage.set", {"symbol": "BTCUSDT", "leverage": 10}, None),
    ("kaldıraç x20 eth", "leverage.set", {"symbol": "ETHUSDT", "leverage": 20}, None),
    (
        "BTC 0,001 al ama canlı olsun",
        "order.place",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "0.001",
            "dryRun": False,
        },
        None,
    ),
    (
        "gerçek parayla 0.01 eth sat",
        "order.place",
        {
            "symbol": "ETHUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.01",
            "dryRun": False,
        },
        None,
    ),
    (
        "satın alma emri 0.01 btc",
        "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": True},
        None,
    ),
    (
        "btc long",
        "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002", "dryRun": True},
        None,
    ),
    (
        "btc short aç",
        "order.place",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.002",
            "dryRun": True,
        },
        None,
    ),
    # --- a third batch (slang, PnL questions, restarts, 'all' meaning the whole position)
    (
        "yo buy me 0.01 eth",
        "order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": True},
        None,
    ),
    (
        "longla btc 0.002",
        "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002", "dryRun": True},
        None,
    ),
    (
        "ETH'den yarım adet al",
        "order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.5", "dryRun": True},
        None,
    ),
    (
        "0.1 eth'lik short aç",
        "order.place",
        {"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.1", "dryRun": True},
        None,
    ),
    ("pls cancel all my btc orders", "order.cancelAll", {"symbol": "BTCUSDT"}, None),
    ("btc ordersları iptal et", "order.cancelAll", {"symbol": "BTCUSDT"}, None),
    ("emir 12345 iptal btc", "order.cancel", {"symbol": "BTCUSDT", "orderId": 12345}, None),
    ("whats my pnl", "pnl.summary", None, None),  # issue 25: PnL questions have their intent
    ("pnl durumum", "pnl.summary", None, None),
    ("hesap özeti", "account.balance", None, None),
    ("günlük zarar limitim ne", "risk.status", None, None),
    ("websocket durumu nasıl", "ws.status", None, None),
    ("ws restart", "ws.start", {"symbols": ["BTCUSDT", "ETHUSDT"]}, None),
    ("streamleri durdur lütfen", "ws.stop", {}, None),
    ("canary koş", "canary.run", {}, None),
    (
        "canary run btc sell 0.001",
        "canary.run",
        {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.001"},
        None,
    ),
    ("canary sonuçlarını göster", "canary.status", None, None),
    ("confirm run 33", "canary.confirm", {"runId": 33}, None),
    ("onayla canary #8", "canary.confirm", {"runId": 8}, None),
    (
        "izole marjin btc ve eth",
        "margin.set",
        {"symbol": "BTCUSDT", "marginType": "ISOLATED"},
        None,
    ),
    ("leverage btc 3", "leverage.set", {"symbol": "BTCUSDT", "leverage": 3}, None),
    ("btc 3x yap", "leverage.set", {"symbol": "BTCUSDT", "leverage": 3}, None),
    ("margin cross eth pls", "margin.set", {"symbol": "ETHUSDT", "marginType": "CROSSED"}, None),
    ("show open orders for btc", "orders.open", None, None),
    ("bekleyen emrim var mı", "orders.open", None, None),
    ("pozisyonlarımı kapat", "clarify", None, None),
    ("close everything", "clarify", None, None),
    ("sell all my eth", "clarify", None, None),
    ("what can you do", "help", None, None),
    ("komutları göster", "help", None, None),
    (
        "sell all my eth",
        "position.close",
        close("ETHUSDT", "SELL", "0.4"),
        {"positions": [{"symbol": "ETHUSDT", "positionAmt": "0.4"}]},
    ),
    (
        "pozisyonlarımı kapat",
        "position.close",
        close("SOLUSDT", "BUY", "3"),
        {"positions": [{"symbol": "SOLUSDT", "positionAmt": "-3"}]},
    ),
    (
        "close everything",
        "position.close",
        close("BTCUSDT", "SELL", "0.01"),
        {"positions": [{"symbol": "BTCUSDT", "positionAmt": "0.01"}]},
    ),
    # --- safety: 'canlı'/'live'/'real' as an adjective, in a question or negated stays dry-run
    (
        "canlı fiyattan 0.01 btc al",
        "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": True},
        None,
    ),
    (
        "real quick buy 0.01 btc",
        "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": True},
        None,
    ),
    (
        "is this a real order? buy 0.01 btc",
        "clarify",  # issue 25: a question never produces an order
        None,
        None,
    ),
    (
        "gerçek emir gönderme sadece dene 0.01 btc al",
        "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": True},
        None,
    ),
    (
        "gerçek mi? 0.01 btc al",
        "clarify",  # issue 25: a question never produces an order
        None,
        None,
    ),
    (
        "live order: buy 0.01 btc",
        "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": False},
        None,
    ),
    (
        "canlı veriyle 0,02 eth sat",
        "order.place",
        {"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.02", "dryRun": True},
        None,
    ),
    (
        "buy 0.01 btc at the live price",
        "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": True},
        None,
    ),
]

# --- issue 25: account state (as the service lays it over the page), slots, new intents
ETH_LONG = {
    "positions": [
        {
            "symbol": "ETHUSDT",
            "positionAmt": "0.02",
            "markPrice": "3400",
            "liquidationPrice": "2100",
            "unrealizedPnl": "1.5",
        }
    ],
    "stepSizes": {"ETHUSDT": "0.001"},
}
TWO = {
    "positions": [
        {"symbol": "ETHUSDT", "positionAmt": "0.02"},
        {"symbol": "BTCUSDT", "positionAmt": "-0.002"},
    ]
}
ETH_ORDER = {
    "openOrders": [
        {
            "symbol": "ETHUSDT",
            "orderId": 81,
            "side": "SELL",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": "3900",
        }
    ]
}
MARKS = {"marks": {"ETHUSDT": "3400", "BTCUSDT": "65000"}, "stepSizes": {"ETHUSDT": "0.001"}}
BALANCE = {**MARKS, "balance": {"availableBalance": "1000"}}


def protect(symbol, dry=True, **legs):
    """POST /futures/position.protect: TP and/or SL on the whole position (closePosition)."""
    return {"symbol": symbol, **legs, "dryRun": dry}


CASES += [
    ("ETH pozisyonumu kapat", "position.close", close("ETHUSDT", "SELL", "0.02"), ETH_LONG),
    ("pozisyonu kapat", "position.close", close("ETHUSDT", "SELL", "0.02"), ETH_LONG),
    ("pozisyonumu kapat", "clarify", None, TWO),
    (
        "ETH pozisyonumun yarısını kapat",
        "position.close",
        close("ETHUSDT", "SELL", "0.01"),
        ETH_LONG,
    ),
    ("close half my eth", "position.close", close("ETHUSDT", "SELL", "0.01"), ETH_LONG),
    ("ETH %25'ini kapat", "position.close", close("ETHUSDT", "SELL", "0.005"), ETH_LONG),
    (
        "ETH stop loss 3300",
        "position.protect",
        protect("ETHUSDT", stopLoss="3300"),
        ETH_LONG,
    ),
    (
        "eth için zarar durdur 3250",
        "position.protect",
        protect("ETHUSDT", stopLoss="3250"),
        ETH_LONG,
    ),
    (
        "take profit 3600 on eth",
        "position.protect",
        protect("ETHUSDT", takeProfit="3600"),
        ETH_LONG,
    ),
    (
        "ETH kâr al 3600",
        "position.protect",
        protect("ETHUSDT", takeProfit="3600"),
        ETH_LONG,
    ),
    ("ETH stop loss 3300", "clarify", None, None),  # nothing to protect
    ("ETH stop loss 3600", "clarify", None, ETH_LONG),  # above the mark of a long
    (
        "ETH %1 trailing stop",
        "position.trailing",
        {"symbol": "ETHUSDT", "callbackRate": "1", "quantity": "0.02", "dryRun": True},
        ETH_LONG,
    ),
    # a stop said as a plain order against the held side: the whole position is the cockpit's
    # TP/SL (closePosition); a named part is a reduce-only order of that size
    ("ETH 0.02 sat stop 3300", "position.protect", protect("ETHUSDT", stopLoss="3300"), ETH_LONG),
    (
        "ETH 0.01 sat stop 3300",
        "order.place",
        order("ETHUSDT", "SELL", "0.01", "STOP_MARKET", stopPrice="3300", reduceOnly=True),
        ETH_LONG,
    ),
    (
        "ETH stop loss 3300 take profit 3600",
        "position.protect",
        protect("ETHUSDT", stopLoss="3300", takeProfit="3600"),
        ETH_LONG,
    ),
    (
        "ETH 0,01 için zarar durdur 3300",
        "order.place",
        order("ETHUSDT", "SELL", "0.01", "STOP_MARKET", stopPrice="3300", reduceOnly=True),
        ETH_LONG,
    ),
    (
        "gerçek ETH stop loss 3300",
        "position.protect",
        protect("ETHUSDT", False, stopLoss="3300"),
        ETH_LONG,
    ),
    (
        "ETH emrimin fiyatını 3800 yap",
        "order.modify",
        {"symbol": "ETHUSDT", "orderId": 81, "quantity": "0.01", "price": "3800"},
        ETH_ORDER,
    ),
    (
        "move my eth order to 3850",
        "order.modify",
        {"symbol": "ETHUSDT", "orderId": 81, "quantity": "0.01", "price": "3850"},
        ETH_ORDER,
    ),
    ("kârım ne kadar", "pnl.summary", None, None),
    ("bugünkü zararım ne", "pnl.summary", None, None),
    ("what's my pnl this week", "pnl.summary", None, None),
    ("BTC fonlama oranı", "market.funding", {"symbol": "BTCUSDT"}, None),
    ("next funding time for eth", "market.funding", {"symbol": "ETHUSDT"}, None),
    ("ETH likidasyon fiyatım", "position.liquidation", None, ETH_LONG),
    ("liquidation price of my eth", "position.liquidation", None, ETH_LONG),
    ("marjinim ne kadar", "account.margin", None, None),
    ("what's my margin ratio", "account.margin", None, None),
    (
        "ETH için 3000 fiyattan 0,01 limit alış",
        "order.place",
        limit("ETHUSDT", "BUY", "0.01", "3000"),
        None,
    ),
    (
        "ETH stop market 3000 sat 0.01",
        "order.place",
        order("ETHUSDT", "SELL", "0.01", "STOP_MARKET", stopPrice="3000"),
        None,
    ),
    ("100 dolarlık ETH al", "order.place", order("ETHUSDT", "BUY", "0.029"), MARKS),
    ("buy 100 usd of eth", "order.place", order("ETHUSDT", "BUY", "0.029"), MARKS),
    ("bakiyemin %10'u kadar ETH al", "order.place", order("ETHUSDT", "BUY", "0.029"), BALANCE),
    ("100 dolarlık ETH al", "clarify", None, None),  # no price known: never a guess
    ("500 TL'lik ETH al", "clarify", None, MARKS),
    ("buy 0.01 ETH price 1e400", "clarify", None, None),
    ("do NOT buy 0.01 ETH", "clarify", None, None),
    ("kaldıraç 10x BTC", "leverage.set", {"symbol": "BTCUSDT", "leverage": 10}, None),
    ("canary onay", "canary.confirm", {"runId": 5}, {"lastCanaryRunId": 5}),
]


# --- hedge mode (issue 22): the account's mode comes with the context; every action names its
# side (positionSide) and none carries reduceOnly; an unnamed side with both open is a question
HEDGE = {
    "positionMode": "hedge",
    "positions": [
        {"symbol": "ETHUSDT", "positionAmt": "0.02", "positionSide": "LONG", "markPrice": "3400"},
        {"symbol": "ETHUSDT", "positionAmt": "-0.01", "positionSide": "SHORT", "markPrice": "3400"},
    ],
    "stepSizes": {"ETHUSDT": "0.001"},
}


def hedge_close(symbol, side, qty, position_side, dry=True):
    return {
        "symbol": symbol,
        "side": side,
        "type": "MARKET",
        "quantity": qty,
        "positionSide": position_side,
        "dryRun": dry,
    }


CASES += [
    (
        "ETH long aç 0.01",
        "order.place",
        order("ETHUSDT", "BUY", "0.01", positionSide="LONG"),
        HEDGE,
    ),
    (
        "ETH short aç 0,01",
        "order.place",
        order("ETHUSDT", "SELL", "0.01", positionSide="SHORT"),
        HEDGE,
    ),
    (
        "open a 0.01 ETH long",
        "order.place",
        order("ETHUSDT", "BUY", "0.01", positionSide="LONG"),
        HEDGE,
    ),
    (
        "open a 0.01 eth short",
        "order.place",
        order("ETHUSDT", "SELL", "0.01", positionSide="SHORT"),
        HEDGE,
    ),
    (
        "long pozisyonuma 0.005 ekle",
        "order.place",
        order("ETHUSDT", "BUY", "0.005", positionSide="LONG"),
        HEDGE,
    ),
    (
        "ETH long pozisyonumu kapat",
        "position.close",
        hedge_close("ETHUSDT", "SELL", "0.02", "LONG"),
        HEDGE,
    ),
    ("close my ETH short", "position.close", hedge_close("ETHUSDT", "BUY", "0.01", "SHORT"), HEDGE),
    (
        "ETH long pozisyonumun yarısını kapat",
        "position.close",
        hedge_close("ETHUSDT", "SELL", "0.01", "LONG"),
        HEDGE,
    ),
    ("ETH pozisyonumu kapat", "clarify", None, HEDGE),
    ("close my eth position", "clarify", None, HEDGE),
    (
        "ETH long pozisyonuma zarar durdur 3000",
        "position.protect",
        protect("ETHUSDT", positionSide="LONG", stopLoss="3000"),
        HEDGE,
    ),
    (
        "take profit 3000 on my eth short",
        "position.protect",
        protect("ETHUSDT", positionSide="SHORT", takeProfit="3000"),
        HEDGE,
    ),
    (
        "1% trailing stop on my eth long",
        "position.trailing",
        {
            "symbol": "ETHUSDT",
            "callbackRate": "1",
            "quantity": "0.02",
            "positionSide": "LONG",
            "dryRun": True,
        },
        HEDGE,
    ),
    ("pozisyonlarım", "positions.list", None, HEDGE),
    ("show my positions", "positions.list", None, HEDGE),
]
