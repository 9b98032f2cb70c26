"""Delivery channels: each send() returns an external id or raises one of the errors below."""

from __future__ import annotations


class DeliveryError(Exception):
    """A send that did not go through; retry_after (seconds) when the channel said when."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class NotSent(DeliveryError):
    """Refused before anything reached the channel (connect failed): safe to send again."""


class OutcomeUnknown(DeliveryError):
    """The request went out but no answer came (read timeout): the channel may have it."""
