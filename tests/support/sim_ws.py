"""A client's side of the stand-in's WebSocket streams, for the simexchange tests."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import requests


async def recv_json(ws, timeout=3.0):
    """The next JSON text frame; ConnectionError if the socket closes first."""
    while True:
        msg = await asyncio.wait_for(ws.receive(), timeout)
        if msg.type == aiohttp.WSMsgType.TEXT:
            return json.loads(msg.data)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            raise ConnectionError(f"closed: {msg}")


async def recv_until(ws, pred, timeout=3.0):
    """The first JSON frame pred accepts, skipping the others."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no matching message")
        m = await recv_json(ws, left)
        if pred(m):
            return m


async def wait_closed(ws, timeout=5.0) -> aiohttp.WSMessage:
    """Wait for the server to close the socket; return the closing message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = await asyncio.wait_for(ws.receive(), deadline - time.monotonic())
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            return msg
    raise TimeoutError("socket stayed open")


def listen_key(sim, key: str = "alicekey") -> str:
    """A new listen key of key's account (Alice's of tests/simexchange by default)."""
    r = requests.post(f"{sim.base_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": key}, timeout=5)
    return r.json()["listenKey"]
