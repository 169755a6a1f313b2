"""Engine overhead: no-op nodes through the executor vs a bare asyncio scheduler.

Runs three 100-node DAGs of no-op nodes (an async implementation returning ``{}``)

- ``chain``: 100 nodes in a line (99 edges);
- ``layered``: 10 layers of 10, each node fed by 5 nodes of the layer before (450 edges);
- ``fan``: one source, 98 parallel nodes, one sink (196 edges);

through the engine (planning, events delivered to a callback that appends them to
a list, timing, the final record; default ``RunOptions``, cache disabled) and
through a hand-written asyncio baseline that runs the same DAG with one task per
node and a ready queue. Prints the median microseconds per node of each and the
ratio engine/baseline per shape.

    .venv/bin/python benchmarks/engine_overhead.py [--runs 30] [--warmup 5] [--profile SHAPE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from engine.artifacts import ArtifactStore
from engine.catalog import Catalog, Category, NodeSpec, PortSpec, PortType
from engine.executor import ExecutionEvent, ExecutionState, Executor, RunOptions
from engine.nodes.base import NodeContext, Outputs
from engine.workflow import Workflow

NODES = 100
Dag = dict[str, list[str]]  # node id -> parent ids


async def noop(context: NodeContext | None, inputs: dict[str, Any]) -> Outputs:
    """The node implementation both schedulers run."""
    return {}


def chain() -> Dag:
    return {f"n{i}": ([f"n{i - 1}"] if i else []) for i in range(NODES)}


def layered() -> Dag:
    dag: Dag = {}
    for layer in range(10):
        for j in range(10):
            parents = [f"n{layer - 1}_{(j + k) % 10}" for k in range(5)] if layer else []
            dag[f"n{layer}_{j}"] = parents
    return dag


def fan() -> Dag:
    middle = [f"m{i}" for i in range(NODES - 2)]
    dag: Dag = {"source": []}
    dag.update({m: ["source"] for m in middle})
    dag["sink"] = middle
    return dag


SHAPES: dict[str, Callable[[], Dag]] = {"chain": chain, "layered": layered, "fan": fan}


def to_workflow(name: str, dag: Dag) -> Workflow:
    nodes = [{"id": nid, "type": "bench.noop"} for nid in dag]
    edges = [
        {
            "id": f"{parent}-{nid}",
            "source": parent,
            "sourceHandle": "out",
            "target": nid,
            "targetHandle": "in",
        }
        for nid, parents in dag.items()
        for parent in parents
    ]
    return Workflow.model_validate({"name": name, "nodes": nodes, "edges": edges})


def bench_catalog() -> Catalog:
    catalog = Catalog()
    catalog.register(
        NodeSpec(
            type="bench.noop",
            category=Category.UTILITY,
            display_name="No-op",
            inputs=(PortSpec(name="in", type=PortType.JSON, required=False, is_list=True),),
            outputs=(PortSpec(name="out", type=PortType.JSON),),
        ),
        noop,
    )
    return catalog


async def baseline(dag: Dag) -> dict[str, Outputs]:
    """The bare scheduler: one task per node, started from a ready queue."""
    children: dict[str, list[str]] = {nid: [] for nid in dag}
    for nid, parents in dag.items():
        for parent in parents:
            children[parent].append(nid)
    waiting = {nid: len(parents) for nid, parents in dag.items()}
    outputs: dict[str, Outputs] = {}
    ready: asyncio.Queue[str | None] = asyncio.Queue()
    for nid, count in waiting.items():
        if count == 0:
            ready.put_nowait(nid)

    async def run(nid: str) -> None:
        inputs = {parent: outputs[parent] for parent in dag[nid]}
        outputs[nid] = await noop(None, inputs)
        for child in children[nid]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.put_nowait(child)
        ready.put_nowait(None)  # one node finished

    tasks: set[asyncio.Task[None]] = set()
    unfinished = len(dag)
    while unfinished:
        next_id = await ready.get()
        if next_id is None:
            unfinished -= 1
            continue
        task = asyncio.create_task(run(next_id))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    return outputs


async def engine_run(executor: Executor, workflow: Workflow) -> list[ExecutionEvent]:
    events: list[ExecutionEvent] = []
    handle = executor.start(workflow, RunOptions(), events.append)
    state = await handle.join()
    if state is not ExecutionState.COMPLETED:
        raise RuntimeError(f"engine run ended {state}")
    return events


CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


async def timed(make: Callable[[], Coroutine[Any, Any, object]]) -> float:
    start = clock()
    await make()
    return clock() - start


async def measure(runs: int, warmup: int, executor: Executor) -> list[tuple[str, float, float]]:
    rows = []
    for name, build in SHAPES.items():
        dag = build()
        workflow = to_workflow(name, dag)
        events = await engine_run(executor, workflow)
        assert len(events) == 3 * len(dag) + 3, len(events)  # QUEUED, RUNNING, COMPLETED each
        engine_times: list[float] = []
        base_times: list[float] = []
        for index in range(warmup + runs):
            # Alternate so drift (CPU frequency, other load) hits both alike.
            engine_time = await timed(lambda: engine_run(executor, workflow))  # noqa: B023
            base_time = await timed(lambda: baseline(dag))  # noqa: B023
            if index >= warmup:
                engine_times.append(engine_time)
                base_times.append(base_time)
        per_node = 1e6 / len(dag)
        rows.append(
            (
                name,
                statistics.median(engine_times) * per_node,
                statistics.median(base_times) * per_node,
            )
        )
    return rows


def profile(shape: str, executor: Executor, runs: int) -> None:
    workflow = to_workflow(shape, SHAPES[shape]())

    async def many() -> None:
        for _ in range(runs):
            await engine_run(executor, workflow)

    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(many())
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", choices=sorted(SHAPES), help="profile the engine on a shape")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: elapsed time; cpu: this process's CPU time (steadier on a busy machine)",
    )
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]

    with tempfile.TemporaryDirectory() as tmp:
        executor = Executor(
            bench_catalog(), artifacts=ArtifactStore(Path(tmp) / "artifacts"), cache=None
        )
        if args.profile:
            profile(args.profile, executor, args.runs)
            return 0
        rows = asyncio.run(measure(args.runs, args.warmup, executor))

    print(
        f"Python {sys.version.split()[0]}, {NODES} no-op nodes per shape, "
        f"median of {args.runs} runs after {args.warmup} warm-up, {args.clock} clock"
    )
    print(f"{'shape':<10}{'engine µs/node':>16}{'baseline µs/node':>18}{'ratio':>8}")
    worst = 0.0
    for name, engine_us, base_us in rows:
        ratio = engine_us / base_us
        worst = max(worst, ratio)
        print(f"{name:<10}{engine_us:>16.1f}{base_us:>18.1f}{ratio:>8.2f}")
    print(f"worst ratio {worst:.2f} (target <= 2.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
