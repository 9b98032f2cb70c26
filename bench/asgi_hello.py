"""The smallest ASGI app: Daphne's own per-request floor (bench_server_floor)."""


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await receive()
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/json")],
    }
    await send(start)
    await send({"type": "http.response.body", "body": b"{}"})
