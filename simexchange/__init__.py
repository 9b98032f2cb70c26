"""A local stand-in for the Binance USD-M Futures testnet (plus Spot and BTCTurk portfolio reads).

It is a separate program spoken to over HTTP/WS only; it never imports the platform.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "1.0"
