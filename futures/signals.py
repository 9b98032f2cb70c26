"""Signals the order service sends after commit (the streams app forwards them to browsers)."""

from __future__ import annotations

from django.dispatch import Signal

# order_changed.send(sender=Order, order=order): after the transaction that changed it commits.
order_changed = Signal()
# position_changed.send(sender=PositionSnapshot, positions=[...], environment="sim").
position_changed = Signal()
# account_changed.send(sender=AccountSnapshot, account=snapshot).
account_changed = Signal()
