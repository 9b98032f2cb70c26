"""Binance Spot and USD-M Futures balances for the portfolio (HTTP: futures.binance.http)."""

from __future__ import annotations


class SpotClient:  # replaced when futures/binance/http.py lands
    exchange = "binance_spot"

    def __init__(self, *a, **k):
        raise NotImplementedError


def futures_source(**k):
    raise NotImplementedError
