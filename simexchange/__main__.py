"""`python -m simexchange --port 8765`: run the stand-in until SIGINT/SIGTERM, then save state."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from aiohttp import web

from simexchange.app import build_app
from simexchange.config import ConfigError, Settings


async def serve(settings: Settings) -> None:
    app = build_app(settings)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the real port for port=0
    logging.getLogger("simexchange").info("listening on http://%s:%s", settings.host, port)
    print(f"simexchange listening on http://{settings.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()  # runs on_shutdown: closes sockets and flushes the state file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simexchange", description=__doc__)
    parser.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8765; 0 = any)")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    try:
        settings = Settings.from_env(**overrides)
    except ConfigError as exc:
        print(f"simexchange: {exc}", file=sys.stderr)
        return 2
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
