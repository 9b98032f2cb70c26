"""Conformance suite: the four independent Python clients drive the stand-in over real sockets.

Each module takes one client (ccxt + ccxt.pro, binance-futures-connector, python-binance,
Binance's `binance-sdk-derivatives-trading-usds-futures`) through the USD-M calls a trading bot
makes and asserts the values that come back (prices, quantities, balances, statuses), not only
that nothing raised. No network: every client's URLs point at the stand-in.

No REST method that maps to a Binance USD-M endpoint is left out any more (the last one, the
isolated margin transfer `POST /fapi/v1/positionMargin`, landed with the cockpit issue); what a
client lacks on its own side (binance-futures-connector has no WebSocket API client) is listed
in `simexchange/README.md`.
"""
