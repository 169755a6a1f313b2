"""callbackUrl: the final record, signed, retried; and where callbacks may not go."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from engine.server.callbacks import CallbackRefused, check_callback_url
from engine.server.settings import CallbackPolicy
from engine.server.signing import verify
from tests.server.conftest import Server, create_workflow, paint_workflow, wait_until


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records POSTs; the first ``fail`` get 500."""

    def __init__(self, fail: int = 0) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.fail = fail
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers.items()), body))
                status = 500 if len(receiver.requests) <= receiver.fail else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/patchbay"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    instance = Receiver(fail=1)
    yield instance
    instance.close()


def test_callback_receives_the_signed_final_record(server: Server, receiver: Receiver) -> None:
    key = server.create_key("callbacks", credits=10)
    with server.client(key) as client:
        secret = client.get("/api/v1/account").json()["callbackSigningSecret"]
        workflow_id = create_workflow(client, paint_workflow())
        execution_id = client.post(
            f"/api/v1/workflows/{workflow_id}/execute",
            json={"inputs": {"brief": "cb"}, "callbackUrl": receiver.url},
        ).json()["executionId"]
        wait_until(lambda: len(receiver.requests) >= 2)
        headers, body = receiver.requests[-1]
        assert verify(secret, headers["Patchbay-Signature"], body)
        assert not verify(secret, headers["Patchbay-Signature"], body + b" ")
        assert headers["Patchbay-Event"] == "execution.completed"
        assert headers["Content-Type"] == "application/json"
        # The failed first attempt and the retry are the same delivery.
        assert receiver.requests[0][0]["Patchbay-Delivery"] == headers["Patchbay-Delivery"]
        assert (receiver.requests[0][0]["Patchbay-Attempt"], headers["Patchbay-Attempt"]) == (
            "1",
            "2",
        )
        record = json.loads(body)
        assert record["executionId"] == execution_id
        assert record["status"] == "COMPLETED"
        assert record["nodes"][1]["nodeId"] == "paint" and record["nodes"][1]["credits"] == 2.0
        assert record["outputs"]["poster"]["$artifact"]["url"].startswith(server.base_url)

        def delivered() -> bool:
            callback = client.get(f"/api/v1/workflows/executions/{execution_id}").json()["callback"]
            return bool(callback["state"] == "delivered" and callback["attempts"] == 2)

        wait_until(delivered)
        assert len(receiver.requests) == 2


def test_loopback_and_private_callbacks_need_the_operators_consent() -> None:
    default = CallbackPolicy()
    for url in (
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://[::1]/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "ftp://example.com/x",
        "http://user:pw@example.com/x",
        "/relative",
    ):
        with pytest.raises(CallbackRefused):
            check_callback_url(url, default)
    check_callback_url("https://hooks.example.com/x", default)
    check_callback_url("http://127.0.0.1:9/x", CallbackPolicy(allow_loopback=True))
    only = CallbackPolicy(allowed_hosts=("hooks.example.com",))
    check_callback_url("https://hooks.example.com/x", only)
    with pytest.raises(CallbackRefused):
        check_callback_url("https://other.example.com/x", only)


def test_a_refused_callback_url_is_422_before_running(server: Server) -> None:
    key = server.create_key("callback-refused", credits=10)
    with server.client(key) as client:
        workflow_id = create_workflow(client, paint_workflow())
        response = client.post(
            f"/api/v1/workflows/{workflow_id}/execute",
            json={"callbackUrl": "http://10.0.0.1/hook"},
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_callback_url"
        assert client.get("/api/v1/account").json()["usage"]["executions"] == 0
