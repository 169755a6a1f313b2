"""The executor: plan a workflow, check its budget, run it and hand out a handle."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path

from engine.artifacts import ArtifactStore
from engine.cache import NodeCache
from engine.catalog.registry import Catalog
from engine.credits import CreditEstimate, estimate_credits
from engine.errors import BudgetExceededError
from engine.executor.events import ExecutionState
from engine.executor.options import RunOptions, new_execution_id
from engine.executor.plan import Plan, PlanCache
from engine.executor.record import ExecutionRecord
from engine.executor.runner import EventCallback, Run
from engine.workflow import Workflow


class ExecutionHandle:
    """A run in flight: its id, a live record, cancellation and the final record.

    Use it on the event loop's thread, except :meth:`cancel`, which may be called
    from any thread.
    """

    def __init__(self, run: Run, task: asyncio.Task[None]) -> None:
        self._run = run
        self._task = task

    @property
    def execution_id(self) -> str:
        """The run's id (also on every event)."""
        return self._run.execution_id

    @property
    def status(self) -> ExecutionState:
        """The run's state right now."""
        return self._run.status

    @property
    def done(self) -> bool:
        """Whether the run has ended."""
        return self._task.done()

    @property
    def record(self) -> ExecutionRecord:
        """A snapshot of the run: per-node status, progress, timing, credits, outputs."""
        return self._run.snapshot()

    def cancel(self) -> None:
        """Cancel the run: running nodes stop, nothing else starts. Idempotent."""
        run = self._run
        if threading.get_ident() == run.thread:
            run.cancel()
        else:
            with contextlib.suppress(RuntimeError):  # a closed loop: the run is over
                run.loop.call_soon_threadsafe(run.cancel)

    async def join(self) -> ExecutionState:
        """Wait for the run to end and return its final state (no record is built).

        Cancelling the caller does not cancel the run; call :meth:`cancel` for that.
        """
        await asyncio.shield(self._task)
        return self._run.status

    async def wait(self) -> ExecutionRecord:
        """Wait for the run to end and return its final record.

        Cancelling the caller does not cancel the run; call :meth:`cancel` for that.
        """
        await asyncio.shield(self._task)
        return self._run.snapshot()


class Executor:
    """Runs workflows with the node types of ``catalog``.

    ``artifacts`` stores media outputs; ``cache`` (optional) reuses unchanged
    nodes' outputs across runs; ``base_dir`` resolves relative input paths (the
    workflow file's folder) and ``output_dir`` is where nodes that save files for
    the user write them. ``confine_files`` keeps nodes' file reads inside
    ``base_dir`` and writes inside ``output_dir`` (the server runs other people's
    workflows). One executor may run many workflows concurrently.
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        artifacts: ArtifactStore,
        cache: NodeCache | None = None,
        base_dir: str | Path | None = None,
        output_dir: str | Path | None = None,
        confine_files: bool = False,
    ) -> None:
        self.catalog = catalog
        self.artifacts = artifacts
        self.cache = cache
        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        self.output_dir = Path(output_dir) if output_dir is not None else self.base_dir
        self.confine_files = confine_files
        self._plans = PlanCache(catalog)  # planning happens on every run

    @classmethod
    def for_data_dir(
        cls,
        catalog: Catalog,
        data_dir: str | Path,
        *,
        use_cache: bool = True,
        base_dir: str | Path | None = None,
        output_dir: str | Path | None = None,
    ) -> Executor:
        """An executor keeping artifacts and cache in a Patchbay data directory."""
        data_dir = Path(data_dir)
        return cls(
            catalog,
            artifacts=ArtifactStore(data_dir / "artifacts"),
            cache=NodeCache.in_data_dir(data_dir) if use_cache else None,
            base_dir=base_dir,
            output_dir=output_dir,
        )

    def plan(self, workflow: Workflow, options: RunOptions | None = None) -> Plan:
        """Resolve the workflow and the nodes the run covers (raises on unrunnable graphs)."""
        options = options or RunOptions()
        return self._plans.plan(
            workflow,
            scope=options.scope,
            target_node_id=options.target_node_id,
            use_cache=options.use_cache,
            inputs=options.inputs,
        )

    def estimate(self, workflow: Workflow, options: RunOptions | None = None) -> CreditEstimate:
        """The per-node credit estimate of running ``workflow`` with ``options``."""
        options = options or RunOptions()
        plan = self.plan(workflow, options)
        return estimate_credits(
            workflow, self.catalog, preview=options.preview, node_ids=plan.nodes.keys()
        )

    def start(
        self,
        workflow: Workflow,
        options: RunOptions | None = None,
        on_event: EventCallback | None = None,
    ) -> ExecutionHandle:
        """Start a run on the running event loop and return its handle at once.

        Raises before anything runs, and without emitting events:
        :class:`engine.errors.UnknownNodeTypeError` or
        :class:`engine.executor.PlanError` for a graph that cannot run,
        :class:`engine.errors.InputError` for an unknown run input, and
        :class:`engine.errors.BudgetExceededError` (carrying the per-node estimate)
        when ``options.budget`` does not cover the estimate.

        ``on_event`` is called synchronously on the loop's thread for every state
        transition; keep it cheap (append to a list, put on a queue). An exception
        it raises is logged and ignored.
        """
        options = options or RunOptions()
        plan = self.plan(workflow, options)
        if options.budget is not None:
            estimate = estimate_credits(
                workflow, self.catalog, preview=options.preview, node_ids=plan.nodes.keys()
            )
            if not estimate.covered_by(options.budget):
                raise BudgetExceededError(estimate, options.budget)
        run = Run(
            workflow_name=workflow.name,
            plan=plan,
            options=options,
            execution_id=options.execution_id or new_execution_id(),
            artifacts=self.artifacts,
            cache=self.cache,
            base_dir=self.base_dir,
            output_dir=self.output_dir,
            confine_files=self.confine_files,
            on_event=on_event,
        )
        run.announce()
        return ExecutionHandle(run, run.loop.create_task(run.main()))

    async def run(
        self,
        workflow: Workflow,
        options: RunOptions | None = None,
        on_event: EventCallback | None = None,
    ) -> ExecutionRecord:
        """Run ``workflow`` to the end and return its record.

        Cancelling the caller cancels the run (its record ends CANCELLED).
        """
        handle = self.start(workflow, options, on_event)
        try:
            return await handle.wait()
        except asyncio.CancelledError:
            handle.cancel()
            raise
