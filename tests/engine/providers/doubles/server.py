"""A tiny threaded HTTP server on 127.0.0.1 for provider protocol doubles.

A double subclasses :class:`DoubleServer`, registers routes with :meth:`route`
(``(method, regex)`` → handler returning a :class:`Reply`) and keeps its state
under ``self.lock``. Every request is recorded (:attr:`requests`), scripted
failures can be queued for a route (:meth:`fail_next`), and generated files are
served from ``/files/<name>`` (:meth:`publish`). Use it as a context manager::

    with FalDouble(key="k") as fal:
        monkeypatch.setenv("PATCHBAY_FAL_BASE_URL", fal.url)
"""

from __future__ import annotations

import json
import re
import select
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Recorded:
    """One request the double received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    """What a handler answers: a status, a body (JSON data, bytes or text) and headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None

    def encode(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.content_type or "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), self.content_type or "text/plain; charset=utf-8"
        if self.body is None:
            return b"", self.content_type or "application/json"
        return json.dumps(self.body).encode(), self.content_type or "application/json"


Handler = Callable[[Recorded, "re.Match[str]"], Reply]


class DoubleServer:
    """Base class of the protocol doubles (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self._failures: dict[str, deque[Reply]] = {}
        self._files: dict[str, tuple[bytes, str]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._local = threading.local()  # the socket of the request this thread serves
        self.route("GET", r"/files/(?P<name>[^/]+)", self._file, name="files")

    # -- set-up -----------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler, *, name: str) -> None:
        """Answer ``method`` requests whose path fully matches ``pattern``."""
        self._routes.append((method, re.compile(pattern), name, handler))

    def fail_next(
        self,
        route: str,
        status: int,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        content_type: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests of ``route`` with this reply instead."""
        reply = Reply(status, body, dict(headers or {}), content_type)
        with self.lock:
            self._failures.setdefault(route, deque()).extend([reply] * times)

    def publish(self, data: bytes, content_type: str, suffix: str) -> str:
        """Serve ``data`` at a fresh ``/files/...`` URL and return it."""
        name = f"{uuid.uuid4().hex}{suffix}"
        with self.lock:
            self._files[name] = (data, content_type)
        return f"{self.origin}/files/{name}"

    def _file(self, request: Recorded, match: re.Match[str]) -> Reply:
        with self.lock:
            found = self._files.get(match["name"])
        if found is None:
            return Reply(404, {"detail": "Not Found"})
        data, content_type = found
        return Reply(200, data, content_type=content_type)

    def wait_for_disconnect(self, timeout: float) -> bool:
        """Hold the current request until its client hangs up (``True``) or ``timeout``.

        For synchronous APIs, where cancelling a run means closing the connection:
        a handler calls this to see whether the cancellation reached the server.
        """
        connection: socket.socket | None = getattr(self._local, "connection", None)
        if connection is None:
            return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            readable, _, _ = select.select([connection], [], [], 0.02)
            if not readable:
                continue
            try:
                if not connection.recv(1, socket.MSG_PEEK):
                    return True
            except OSError:
                return True
        return False

    # -- inspection -------------------------------------------------------------

    def calls(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        """Recorded requests, filtered by method and a substring of the path."""
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and contains in r.path
            ]

    # -- serving ----------------------------------------------------------------

    @property
    def origin(self) -> str:
        assert self._server is not None, "the double is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """The base URL an adapter should be pointed at."""
        return self.origin

    def dispatch(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(raw_path)
        request = Recorded(method, parts.path, parse_qs(parts.query), headers, body)
        with self.lock:
            self.requests.append(request)
        for route_method, pattern, name, handler in self._routes:
            match = pattern.fullmatch(parts.path)
            if match is None or route_method != method:
                continue
            with self.lock:
                queued = self._failures.get(name)
                if queued:
                    return queued.popleft()
            return handler(request, match)
        return Reply(404, {"detail": f"no route for {method} {parts.path}"})

    def start(self) -> Self:
        double = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, delayed ACKs
                # add ~40 ms to every request.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                double._local.connection = self.connection
                try:
                    reply = double.dispatch(self.command, self.path, headers, body)
                except Exception as exc:  # a bug in a double must show up in the test
                    reply = Reply(500, {"detail": f"double crashed: {exc!r}"})
                finally:
                    double._local.connection = None
                payload, content_type = reply.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client hung up (a cancelled synchronous call)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
