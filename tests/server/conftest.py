"""Fixtures that run the real server as a subprocess on 127.0.0.1.

``server`` is one server shared by the session (each test makes its own accounts,
which the server keeps apart); tests that need their own configuration, or kill
the process, call ``start_server``. Keys are created the way an operator does it:
``python -m engine.cli keys create ... --json`` in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "tests.server.nodes_plugin:register"

#: The shared server's configuration: the shipped defaults, plus loopback callbacks
#: (the test receiver runs on 127.0.0.1) retried quickly, and a per-IP limit for
#: unauthenticated requests high enough for the schemathesis run's invalid ones.
SHARED_CONFIG = """
[anonymous]
requests_per_minute = 100000

[callbacks]
allow_loopback = true
initial_backoff_s = 0.2
max_backoff_s = 0.5
max_attempts = 4
timeout_s = 5.0
"""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the server process: be sent SIGTERM when the test process dies, even by a
    crash that runs no fixture teardown (Linux ``PR_SET_PDEATHSIG``)."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m engine.cli ARGS --data-dir DIR``."""
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        env=_env(),
        timeout=60,
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PATCHBAY_EXTRA_NODES"] = PLUGIN
    env.pop("PATCHBAY_DATA_DIR", None)
    return env


@dataclass
class Key:
    """A key made by ``patchbay keys create``."""

    secret: str
    key_id: str
    prefix: str
    account_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


@dataclass
class Server:
    """A running server process and the ways to talk to it."""

    data_dir: Path
    config_path: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        """Start the process and wait until ``/healthz`` answers."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engine.cli",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--config",
                str(self.config_path),
                "--log-level",
                "warning",
            ],
            cwd=REPO_ROOT,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the server did not become ready:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """``kill -9``: no shutdown code runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then a kill if it hangs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def create_key(
        self,
        name: str = "test",
        *,
        tier: str = "pro",
        credits: float = 0.0,
        account: str | None = None,
    ) -> Key:
        """A new key (and account, unless ``account`` names one)."""
        args = ["keys", "create", "--name", name, "--tier", tier, "--credits", str(credits)]
        if account:
            args += ["--account", account]
        result = cli(*args, "--json", data_dir=self.data_dir)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        return Key(data["key"], data["keyId"], data["prefix"], data["accountId"])

    def client(self, key: Key | None = None, **kwargs: Any) -> httpx.Client:
        """An HTTP client for this server, authenticated with ``key``."""
        headers = key.headers if key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0, **kwargs)


StartServer = Callable[..., Server]


def _make_server(directory: Path, config: str) -> Server:
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "config.toml"
    config_path.write_text(config, encoding="utf-8")
    server = Server(
        data_dir=directory / "data", config_path=config_path, log_path=directory / "server.log"
    )
    server.start()
    return server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server shared by the session."""
    instance = _make_server(tmp_path_factory.mktemp("shared-server"), SHARED_CONFIG)
    yield instance
    instance.stop()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start a dedicated server with a configuration of the test's own."""
    started: list[Server] = []

    def start(config: str = SHARED_CONFIG, name: str = "server") -> Server:
        instance = _make_server(tmp_path / name, config)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


# --- workflows used across the tests ------------------------------------------------


def greeting_workflow(name: str = "Greeting") -> dict[str, Any]:
    """input.text -> text.template -> output.text: free, fast."""
    return {
        "schemaVersion": 1,
        "name": name,
        "nodes": [
            {"id": "who", "type": "input.text", "data": {"name": "who", "default": "world"}},
            {"id": "greet", "type": "text.template", "data": {"template": "hello {a}"}},
            {"id": "out", "type": "output.text", "data": {"name": "greeting"}},
        ],
        "edges": [
            _edge("e1", "who", "text", "greet", "a"),
            _edge("e2", "greet", "text", "out", "text"),
        ],
    }


def paint_workflow(count: int = 1, name: str = "Poster") -> dict[str, Any]:
    """A priced image node (2 credits per image) feeding a resize and an output."""
    return {
        "schemaVersion": 1,
        "name": name,
        "nodes": [
            {"id": "brief", "type": "input.text", "label": "Brief", "data": {"name": "brief"}},
            {
                "id": "paint",
                "type": "test.paint",
                "label": "Painter",
                "data": {"color": "#ff8800", "count": count},
            },
            {"id": "small", "type": "image.resize", "data": {"width": 32, "height": 24}},
            {"id": "out", "type": "output.image", "data": {"name": "poster"}},
        ],
        "edges": [
            _edge("e1", "brief", "text", "paint", "prompt"),
            _edge("e2", "paint", "image", "small", "image"),
            _edge("e3", "small", "image", "out", "image"),
        ],
    }


def slow_workflow(seconds: float = 30.0, name: str = "Slow") -> dict[str, Any]:
    """A priced fast node, then a slow one (1 credit): for cancel, SSE and crash tests."""
    return {
        "schemaVersion": 1,
        "name": name,
        "nodes": [
            {"id": "paint", "type": "test.paint", "data": {}},
            {"id": "wait", "type": "test.slow", "data": {"seconds": seconds}},
            {"id": "out", "type": "output.text", "data": {"name": "result"}},
        ],
        "edges": [_edge("e1", "wait", "text", "out", "text")],
    }


def image_input_workflow() -> dict[str, Any]:
    """An image input resized to 16x16: for multipart uploads."""
    return {
        "schemaVersion": 1,
        "name": "Thumbnail",
        "nodes": [
            {"id": "photo", "type": "input.image", "data": {"name": "photo"}},
            {"id": "title", "type": "input.text", "data": {"name": "title", "default": "x"}},
            {"id": "thumb", "type": "image.resize", "data": {"width": 16, "height": 16}},
            {"id": "out", "type": "output.image", "data": {"name": "thumbnail"}},
            {"id": "label", "type": "output.text", "data": {"name": "label"}},
        ],
        "edges": [
            _edge("e1", "photo", "image", "thumb", "image"),
            _edge("e2", "thumb", "image", "out", "image"),
            _edge("e3", "title", "text", "label", "text"),
        ],
    }


def _edge(edge_id: str, source: str, out: str, target: str, into: str) -> dict[str, str]:
    return {
        "id": edge_id,
        "source": source,
        "sourceHandle": out,
        "target": target,
        "targetHandle": into,
    }


def create_workflow(client: httpx.Client, document: dict[str, Any]) -> str:
    """POST a workflow and return its id."""
    response = client.post("/api/v1/workflows", json=document)
    assert response.status_code == 201, response.text
    workflow_id: str = response.json()["id"]
    return workflow_id


def wait_for_end(
    client: httpx.Client, execution_id: str, *, timeout: float = 20.0, first_delay: float = 0.05
) -> dict[str, Any]:
    """Poll with exponential backoff until the run leaves RUNNING/QUEUED."""
    delay = first_delay
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/v1/executions/{execution_id}/poll")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] not in ("RUNNING", "QUEUED"):
            return body
        assert time.monotonic() < deadline, f"still {body['status']} after {timeout} s"
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for ``predicate`` to hold (polling every 20 ms)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
