"""Server throughput: the Patchbay server against a minimal FastAPI + SQLite app.

Starts, each as its own process on 127.0.0.1 and with the same uvicorn settings,

- ``patchbay serve`` with a fresh data directory, an enterprise key and a
  three-node workflow (``input.text -> text.template -> output.text``), published;
- a minimal FastAPI app whose one endpoint inserts a row into SQLite (WAL) and
  answers 201;

then drives each with the same bounded load (``--concurrency`` clients, 16 by
default, for ``--duration`` seconds, 10 by default, after a short warm-up) and
prints accepted requests per second and p50/p99 latency for

- ``execute``: ``POST /api/v1/workflows/{id}/execute`` with a different input each
  time, so every run really runs (the server runs them while it accepts more);
- ``trigger``: ``POST /workflow/{webhookId}/trigger`` with a JSON body;
- ``minimal``: the minimal app's insert;

and the ratio of each Patchbay figure to the minimal app's (the goal: >= 0.3).

    .venv/bin/python benchmarks/server_throughput.py [--duration 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.3
CONFIG = """
[tiers.enterprise]
requests_per_minute = 100000000

[anonymous]
requests_per_minute = 100000000
"""
WORKFLOW: dict[str, Any] = {
    "schemaVersion": 1,
    "name": "Benchmark greeting",
    "nodes": [
        {"id": "who", "type": "input.text", "data": {"name": "who", "default": "world"}},
        {"id": "greet", "type": "text.template", "data": {"template": "hello {a}"}},
        {"id": "out", "type": "output.text", "data": {"name": "greeting"}},
    ],
    "edges": [
        {"id": "e1", "source": "who", "sourceHandle": "text", "target": "greet",
         "targetHandle": "a"},
        {"id": "e2", "source": "greet", "sourceHandle": "text", "target": "out",
         "targetHandle": "text"},
    ],
}  # fmt: skip


# --- the minimal app ---------------------------------------------------------------


def serve_minimal(port: int, database: str) -> None:
    """The baseline: FastAPI, one endpoint, one SQLite insert, 201."""
    import uvicorn
    from fastapi import FastAPI

    db = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, body TEXT)")
    app = FastAPI()

    @app.post("/items", status_code=201)
    async def create(item: dict[str, Any]) -> dict[str, Any]:
        cursor = db.execute("INSERT INTO items (body) VALUES (?)", (json.dumps(item),))
        return {"id": cursor.lastrowid}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- processes ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the process serving {url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not come up")


def start_patchbay(work: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    data_dir = work / "patchbay"
    config = work / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    created = subprocess.run(
        [sys.executable, "-m", "engine.cli", "keys", "create", "--name", "bench",
         "--tier", "enterprise", "--credits", "1000000", "--json", "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    key = json.loads(created.stdout)["key"]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", str(port),
         "--data-dir", str(data_dir), "--config", str(config), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/healthz", process)
    return process, base, {"Authorization": f"Bearer {key}"}


def start_minimal(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-minimal", str(port), str(work / "minimal.sqlite3")]
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/docs", process)
    return process, base


# --- load --------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What one load run measured."""

    name: str
    accepted: int
    refused: int
    seconds: float
    latencies_ms: list[float]
    drain_s: float = 0.0  # after the load: until every accepted run had finished

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds

    @property
    def finished_per_second(self) -> float:
        return self.accepted / (self.seconds + self.drain_s)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


RequestFactory = Callable[[int], tuple[str, dict[str, Any]]]


class Connection:
    """A bare HTTP/1.1 keep-alive client: cheap enough not to be the bottleneck."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        """Send one JSON POST and read the whole answer; returns the status code."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.fixed}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def drive(
    name: str,
    base: str,
    headers: dict[str, str],
    make: RequestFactory,
    *,
    accepted_status: int,
    concurrency: int,
    duration: float,
    warmup: float,
) -> Result:
    """``concurrency`` clients sending requests back to back until the time is up."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    counts = {"accepted": 0, "refused": 0}
    counter = iter(range(10**9))
    connections = [Connection(host, int(port), headers) for _ in range(concurrency)]

    async def worker(connection: Connection, until: float, record: bool) -> None:
        while time.perf_counter() < until:
            path, body = make(next(counter))
            started = time.perf_counter()
            status = await connection.post(path, json.dumps(body).encode())
            elapsed = (time.perf_counter() - started) * 1000.0
            if not record:
                continue
            if status == accepted_status:
                counts["accepted"] += 1
                latencies.append(elapsed)
            else:
                counts["refused"] += 1

    try:
        until = time.perf_counter() + warmup
        await asyncio.gather(*(worker(c, until, False) for c in connections))
        started = time.perf_counter()
        until = started + duration
        await asyncio.gather(*(worker(c, until, True) for c in connections))
        seconds = time.perf_counter() - started
    finally:
        for connection in connections:
            await connection.close()
    return Result(name, counts["accepted"], counts["refused"], seconds, latencies)


def wait_idle(base: str, headers: dict[str, str], timeout: float = 300.0) -> float:
    """Wait until the runs the load started have finished; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() < started + timeout:
        running = httpx.get(f"{base}/api/v1/account", headers=headers).json()["usage"]["running"]
        if running == 0:
            break
        time.sleep(0.05)
    return time.monotonic() - started


def measure(
    name: str,
    base: str,
    headers: dict[str, str],
    make: RequestFactory,
    *,
    accepted_status: int,
    account_headers: dict[str, str] | None,
    **load: Any,
) -> Result:
    """One load slice."""
    return asyncio.run(drive(name, base, headers, make, accepted_status=accepted_status, **load))


def combine(name: str, parts: list[Result]) -> Result:
    """The slices of one target as one result."""
    return Result(
        name,
        sum(p.accepted for p in parts),
        sum(p.refused for p in parts),
        sum(p.seconds for p in parts),
        [ms for p in parts for ms in p.latencies_ms],
        sum(p.drain_s for p in parts),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load each")
    parser.add_argument("--concurrency", type=int, default=16, help="clients at once")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument(
        "--slice", type=float, default=1.0, help="seconds per interleaved slice of each target"
    )
    parser.add_argument("--serve-minimal", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_minimal:
        serve_minimal(int(args.serve_minimal[0]), args.serve_minimal[1])
        return 0

    with tempfile.TemporaryDirectory(prefix="patchbay-bench-") as tmp:
        work = Path(tmp)
        patchbay, base, headers = start_patchbay(work)
        minimal, minimal_base = start_minimal(work)
        try:
            created = httpx.post(f"{base}/api/v1/workflows", json=WORKFLOW, headers=headers)
            workflow_id = created.json()["id"]
            hook = httpx.post(f"{base}/api/v1/workflows/{workflow_id}/publish", headers=headers)
            trigger_path = f"/workflow/{hook.json()['webhookId']}/trigger"
            targets: list[tuple[str, str, dict[str, str], RequestFactory, int, bool]] = [
                (
                    "execute",
                    base,
                    headers,
                    lambda i: (
                        f"/api/v1/workflows/{workflow_id}/execute",
                        {"inputs": {"who": f"user {i}"}},
                    ),
                    201,
                    True,
                ),
                ("trigger", base, {}, lambda i: (trigger_path, {"who": f"hook {i}"}), 202, True),
                ("minimal", minimal_base, {}, lambda i: ("/items", {"n": i}), 201, False),
            ]
            wait_idle(base, headers)
            # Interleaved slices, so a change in the machine's background load
            # affects every target alike; each Patchbay slice is followed by its
            # drain (not counted in accepted/s), so queued runs never run during
            # another target's slice.
            slices = max(1, round(args.duration / args.slice))
            parts: dict[str, list[Result]] = {name: [] for name, *_ in targets}
            for index in range(slices):
                for name, url, sent, make, status, drains in targets:
                    parts[name].append(
                        measure(
                            name,
                            url,
                            sent,
                            make,
                            accepted_status=status,
                            account_headers=headers if drains else None,
                            concurrency=args.concurrency,
                            duration=args.duration / slices,
                            warmup=args.warmup if index == 0 else 0.1,
                        )
                    )
                    if drains:
                        parts[name][-1] = replace(parts[name][-1], drain_s=wait_idle(base, headers))
            results = [combine(name, found) for name, found in parts.items()]
        finally:
            for process in (patchbay, minimal):
                process.terminate()
                process.wait(timeout=30)

    baseline = results[-1].per_second
    print(
        f"127.0.0.1, concurrency {args.concurrency}, {args.duration:g} s per target in "
        f"{args.slice:g} s slices, interleaved (+{args.warmup:g} s warm-up), "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'target':<9} {'accepted/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'refused':>8} "
        f"{'ratio':>7} {'drain s':>8} {'finished/s':>11}"
    )
    ok = True
    for result in results:
        ratio = result.per_second / baseline if baseline else float("nan")
        print(
            f"{result.name:<9} {result.per_second:>11.1f} {result.percentile(0.50):>8.2f} "
            f"{result.percentile(0.99):>8.2f} {result.refused:>8d} {ratio:>7.2f} "
            f"{result.drain_s:>8.2f} {result.finished_per_second:>11.1f}"
        )
        if result.name != "minimal" and not ratio >= GOAL:
            ok = False
    print(
        "accepted/s: 201/202 answers per second under load; finished/s: the same runs over "
        "the load time plus the time their queued runs took to finish"
    )
    print(f"goal: execute and trigger accepted/s >= {GOAL} x minimal -> {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
