"""Small helpers for the adapter tests (OpenAI, ComfyUI, ElevenLabs, Google)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from engine.artifacts import ArtifactStore
from engine.catalog import NodeSpec
from engine.providers import FAST_POLL, make_hosted_node
from tests.engine.providers.conftest import context


async def eventually(check: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait until ``check()`` is truthy (failing after ``timeout`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "the condition never became true"
        await asyncio.sleep(0.01)


def start_node(
    spec: NodeSpec,
    store: ArtifactStore,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any] | None = None,
) -> asyncio.Future[Any]:
    """Run ``spec`` as the executor would, in a task the test can cancel."""
    ctx = context(spec, store, params)
    merged = {p.name: ctx.params[p.name] for p in spec.inputs if p.name in ctx.params}
    merged.update(inputs or {})
    implementation = make_hosted_node(spec, poll=FAST_POLL)
    return asyncio.ensure_future(implementation(ctx, merged))  # type: ignore[arg-type]


async def cancelled(task: asyncio.Future[Any]) -> None:
    """Cancel ``task`` and check it ends cancelled."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        return
    raise AssertionError("the task finished instead of being cancelled")
