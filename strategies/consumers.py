"""Live progress of an optimization: `/ws/strategies/opt/<id>/` (logged-in users only).

server → {"type": "snapshot", ...the run...} once, then {"type": "progress", "status",
"done", "total", "best", "final"?} for every event published to `strategies.opt.<id>`.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from strategies.optimize import group_of


class OptimizationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.opt_id = int(self.scope["url_route"]["kwargs"]["opt_id"])
        await self.channel_layer.group_add(group_of(self.opt_id), self.channel_name)
        await self.accept()
        snapshot = await self._snapshot()
        if snapshot is None:
            await self.send_json({"type": "error", "message": "optimization not found"})
            await self.close()
            return
        await self.send_json({"type": "snapshot", **snapshot})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "opt_id"):
            await self.channel_layer.group_discard(group_of(self.opt_id), self.channel_name)

    @database_sync_to_async
    def _snapshot(self) -> dict | None:
        from strategies.models import OptimizationRun
        from strategies.selectors import optimization_out

        run = OptimizationRun.objects.filter(pk=self.opt_id).first()
        return optimization_out(run, full=False) if run else None

    async def opt_progress(self, event: dict) -> None:
        await self.send_json({**event, "type": "progress"})
