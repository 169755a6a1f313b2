"""Engine overhead: no-op nodes through the executor vs a bare asyncio scheduler.

Runs three 100-node DAGs of no-op nodes (an async implementation returning ``{}``)

- ``chain``: 100 nodes in a line (99 edges);
- ``layered``: 10 layers of 10, each node fed by 5 nodes of the layer before (450 edges);
- ``fan``: one source, 98 parallel nodes, one sink (196 edges);

through the engine and through a hand-written asyncio baseline that runs the same
DAG with one task per node and a ready queue, alternating the two in one process.
The engine run is ``Executor.start(workflow, RunOptions(), events.append)`` then
``await handle.join()``: planning, every event delivered to a callback that
appends it to a list, timing, per-node timeouts armed, the default concurrency
bound (8), no cache (``--cache`` measures it). The final ``ExecutionRecord`` is
built on demand, so it is timed separately. Prints the median microseconds per
node of each and the ratio engine/baseline per shape. Both sides are single-threaded
CPU work, so the default clock is the process's CPU time: on a shared machine a
run preempted by another job would otherwise count that job's time slice.

    .venv/bin/python benchmarks/engine_overhead.py [--runs 50] [--warmup 10]
        [--clock cpu|wall] [--cache off|hits|forced] [--profile SHAPE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from engine.artifacts import ArtifactStore
from engine.cache import NodeCache
from engine.catalog import Catalog, Category, NodeSpec, PortSpec, PortType
from engine.executor import ExecutionEvent, ExecutionState, Executor, RunOptions
from engine.nodes.base import NodeContext, Outputs
from engine.workflow import Workflow

NODES = 100
Dag = dict[str, list[str]]  # node id -> parent ids
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


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


class Bench:
    """The engine side: one executor, the options of the chosen cache mode."""

    def __init__(self, data_dir: Path, cache: str) -> None:
        self.executor = Executor(
            bench_catalog(),
            artifacts=ArtifactStore(data_dir / "artifacts"),
            cache=None if cache == "off" else NodeCache(),  # memory only
        )
        self.options = RunOptions(use_cache=cache != "forced")
        self.cache = cache

    async def run(self, workflow: Workflow) -> list[ExecutionEvent]:
        events: list[ExecutionEvent] = []
        handle = self.executor.start(workflow, self.options, events.append)
        state = await handle.join()
        if state is not ExecutionState.COMPLETED:
            raise RuntimeError(f"engine run ended {state}")
        return events

    async def record_cost(self, workflow: Workflow, clock: Callable[[], float]) -> float:
        events: list[ExecutionEvent] = []
        handle = self.executor.start(workflow, self.options, events.append)
        await handle.join()
        start = clock()
        handle.record.to_json()
        return clock() - start


async def timed(
    clock: Callable[[], float], make: Callable[[], Coroutine[Any, Any, object]]
) -> float:
    gc.collect()  # every sample starts from the same collector state
    start = clock()
    await make()
    return clock() - start


async def measure(
    bench: Bench, runs: int, warmup: int, clock: Callable[[], float]
) -> list[tuple[str, float, float, float]]:
    rows = []
    for name, build in SHAPES.items():
        dag = build()
        workflow = to_workflow(name, dag)
        events = await bench.run(workflow)
        if bench.cache != "hits":  # QUEUED, RUNNING and COMPLETED for every node
            assert len(events) == 3 * len(dag) + 3, len(events)
        engine: list[float] = []
        bare: list[float] = []
        records: list[float] = []
        for index in range(warmup + runs):
            # Alternate, so drift (CPU frequency, other load) hits both alike.
            engine_time = await timed(clock, lambda: bench.run(workflow))  # noqa: B023
            base_time = await timed(clock, lambda: baseline(dag))  # noqa: B023
            if index >= warmup:
                engine.append(engine_time)
                bare.append(base_time)
                if index % 5 == 0:
                    records.append(await bench.record_cost(workflow, clock))
        per_node = 1e6 / len(dag)
        rows.append(
            (
                name,
                statistics.median(engine) * per_node,
                statistics.median(bare) * per_node,
                statistics.median(records) * per_node,
            )
        )
    return rows


def profile(bench: Bench, shape: str, runs: int) -> None:
    workflow = to_workflow(shape, SHAPES[shape]())

    async def many() -> None:
        for _ in range(runs):
            await bench.run(workflow)

    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(many())
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: this process's CPU time (default: immune to being preempted by other "
        "jobs on a shared machine); wall: elapsed time",
    )
    parser.add_argument(
        "--cache",
        choices=("off", "hits", "forced"),
        default="off",
        help="off: no cache; hits: memory cache, every node CACHED; "
        "forced: memory cache, every node re-run (fingerprint and store)",
    )
    parser.add_argument("--profile", choices=sorted(SHAPES), help="profile the engine on a shape")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp), args.cache)
        if args.profile:
            profile(bench, args.profile, args.runs)
            return 0
        rows = asyncio.run(measure(bench, args.runs, args.warmup, CLOCKS[args.clock]))

    print(
        f"Python {sys.version.split()[0]}, {NODES} no-op nodes per shape, cache {args.cache}, "
        f"median of {args.runs} runs after {args.warmup} warm-up, {args.clock} clock"
    )
    print(f"{'shape':<10}{'engine µs/node':>16}{'baseline µs/node':>18}{'ratio':>8}{'record':>9}")
    worst = 0.0
    for name, engine_us, base_us, record_us in rows:
        ratio = engine_us / base_us
        worst = max(worst, ratio)
        print(f"{name:<10}{engine_us:>16.1f}{base_us:>18.1f}{ratio:>8.2f}{record_us:>9.1f}")
    print(f"worst ratio {worst:.2f} (target <= 2.0); record: µs/node to build the full")
    print("ExecutionRecord and its JSON afterwards (on demand, not in the engine figure)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
