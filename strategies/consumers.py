"""Live Strategy Lab sockets (logged-in users only).

`/ws/strategies/opt/<id>/`: {"type": "snapshot", ...the run...} once, then {"type":
"progress", "status", "done", "total", "best", "final"?} for every event published to
`strategies.opt.<id>`.

`/ws/strategies/runners/`: {"type": "snapshot", "runners": [...]} once (the latest 50), then
{"type": "runner", ...one runner...} whenever a paper runner opens, closes, is refused, sees a
new bar, stops or starts (group `strategies.runners`).
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from spark_site.ws_frames import SafeJsonConsumer
from strategies.models import OptimizationRun, StrategyRunner
from strategies.optimize import group_of
from strategies.runner import RUNNERS_GROUP
from strategies.schemas import optimization_out, runner_out


class _GroupConsumer(SafeJsonConsumer):
    """Accept logged-in users, join `group`, send `snapshot()` first."""

    group = ""
    missing = "not found"

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.group = self.group_name()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        snapshot = await self.snapshot()
        if snapshot is None:
            await self.send_json({"type": "error", "message": self.missing})
            await self.close()
            return
        await self.send_json({"type": "snapshot", **snapshot})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    def group_name(self) -> str:
        raise NotImplementedError

    async def snapshot(self) -> dict | None:
        raise NotImplementedError


class OptimizationConsumer(_GroupConsumer):
    missing = "optimization not found"

    def group_name(self) -> str:
        self.opt_id = int(self.scope["url_route"]["kwargs"]["opt_id"])
        return group_of(self.opt_id)

    @database_sync_to_async
    def snapshot(self) -> dict | None:
        run = OptimizationRun.objects.filter(pk=self.opt_id).first()
        return optimization_out(run, full=False) if run else None

    async def opt_progress(self, event: dict) -> None:
        await self.send_json({**event, "type": "progress"})


class RunnerConsumer(_GroupConsumer):
    def group_name(self) -> str:
        return RUNNERS_GROUP

    @database_sync_to_async
    def snapshot(self) -> dict:
        return {"runners": [runner_out(r) for r in StrategyRunner.objects.all()[:50]]}

    async def runner_update(self, event: dict) -> None:
        await self.send_json({"type": "runner", **event["runner"]})
