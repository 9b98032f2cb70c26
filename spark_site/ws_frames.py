"""Inbound WebSocket frames that never close the socket with 1011.

Channels' JSON consumer raises on a frame that is not JSON, or binary, and the server then closes
the socket with 1011 (internal error). A client mistake is answered with an error frame in the
project's error shape instead, and the socket stays open.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from spark_site.degraded import RETRY_AFTER_SECONDS, is_redis_down

logger = logging.getLogger(__name__)

# Far above any real subscribe message; larger text frames are refused unread.
MAX_FRAME_CHARS = 16 * 1024
# Close code after a channel-layer outage: "service degraded, reconnect later".
DEGRADED_CLOSE_CODE = 4503


def error_frame(code: str, message: str, details: dict[str, Any] | None = None) -> dict:
    """The error frame: `type` for the client's dispatch, `error` in the API's error shape."""
    return {
        "type": "error",
        "message": message,
        "error": {"code": code, "message": message, "details": details or {}},
    }


def degraded_frame() -> dict:
    return error_frame(
        "SERVICE_DEGRADED",
        "A shared service is unreachable; try again shortly.",
        {"retryAfterSeconds": RETRY_AFTER_SECONDS},
    )


class SafeJsonConsumer(AsyncJsonWebsocketConsumer):
    """A JSON consumer whose malformed frames (and a Redis outage) get an error frame."""

    # Channels sets this to the channel layer's receive and ends the socket with 1011 when it
    # raises. An unreachable Redis instead gets an error frame and the close code 4503 (the
    # application range: Daphne refuses to send 1013): the page reconnects, and the layer is not
    # left mid-receive for the outage.
    @property
    def channel_receive(self):
        return self._channel_receive

    @channel_receive.setter
    def channel_receive(self, receive) -> None:
        async def receive_or_close():
            try:
                return await receive()
            except Exception as exc:
                if not is_redis_down(exc):
                    raise
                logger.warning(
                    "channel layer unreachable; closing the socket (%s)", DEGRADED_CLOSE_CODE
                )
                with contextlib.suppress(Exception):
                    await self.send_json(degraded_frame())
                    await self.close(code=DEGRADED_CLOSE_CODE)
                raise StopConsumer from None

        self._channel_receive = receive_or_close

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if text_data is None:
            await self.send_json(error_frame("FRAME_NOT_TEXT", "Frames must be JSON text."))
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self.send_json(
                error_frame(
                    "FRAME_TOO_LARGE",
                    "The frame is too large.",
                    {"maxChars": MAX_FRAME_CHARS, "chars": len(text_data)},
                )
            )
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_json(error_frame("FRAME_NOT_JSON", "The frame is not valid JSON."))
            return
        if not isinstance(content, dict):
            await self.send_json(
                error_frame("FRAME_NOT_OBJECT", "The frame must be a JSON object.")
            )
            return
        await self.handle_safely(self.receive_json(content, **kwargs))

    async def handle_safely(self, work) -> None:
        """Run `work`; an unreachable Redis (channel layer, cache) is an error frame, not 1011."""
        try:
            await work
        except Exception as exc:
            if not is_redis_down(exc):
                raise
            await self.send_json(degraded_frame())
