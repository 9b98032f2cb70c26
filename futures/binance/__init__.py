"""Binance HTTP and WebSocket clients (signing is shared with the portfolio connectors)."""
