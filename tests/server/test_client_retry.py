"""engine.client's retry, backoff and parsing rules, against scripted answers.

A real server cannot be made to answer 502, 503 or HTML on demand, or to keep a
run RUNNING for an exact number of polls; ``httpx.MockTransport`` can.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from engine.client import (
    ClientRetry,
    PatchbayClient,
    ProtocolError,
    RateLimited,
    ServerError,
    ServerUnreachable,
    WaitNotice,
    WaitReason,
    event_from_json,
    normalise_base_url,
)
from engine.client.events import SseParser
from engine.executor import ErrorKind, ExecutionEvent, ExecutionState, NodeErrorInfo, NodeState

BASE = "http://patchbay.test"
SECRET = "pb_retry-secret-0123456789"
EX = "ex_1"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def client(
    handler: Handler,
    *,
    retry: ClientRetry | None = None,
    sleep: FakeSleep | None = None,
    notices: list[WaitNotice] | None = None,
) -> PatchbayClient:
    return PatchbayClient(
        BASE,
        SECRET,
        retry=retry or ClientRetry(jitter=0),
        transport=httpx.MockTransport(handler),
        sleep=sleep or FakeSleep(),
        on_wait=notices.append if notices is not None else None,
    )


def error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"type": "api_error", "code": code, "message": f"{code} happened"}}
    return httpx.Response(status, json=body, headers=headers)


def poll(status: str, node: str = "RUNNING", progress: float | None = 0.1) -> dict[str, Any]:
    return {
        "executionId": EX,
        "status": status,
        "progress": 0.5,
        "nodes": [{"nodeId": "a", "status": node, "progress": progress}],
    }


RECORD = {
    "executionId": EX,
    "workflowName": "W",
    "status": "COMPLETED",
    "finishedAt": 2.0,
    "durationMs": 12.0,
    "credits": 1.0,
    "outputs": {"out": "done"},
    "nodes": [
        {
            "nodeId": "a",
            "label": "A",
            "type": "text.template",
            "status": "COMPLETED",
            "durationMs": 3.0,
            "credits": 1.0,
            "outputs": {"text": "done"},
        }
    ],
    "trigger": "api",
}


async def test_polling_backs_off_doubling_capped_and_restarts_after_a_change() -> None:
    answers = [poll("RUNNING")] * 6 + [poll("RUNNING", progress=0.6)] * 2
    answers.append(poll("COMPLETED", node="COMPLETED", progress=1.0))
    polls = iter(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/poll"):
            return httpx.Response(200, json=next(polls))
        return httpx.Response(200, json=RECORD)

    sleep = FakeSleep()
    events: list[ExecutionEvent] = []
    async with client(handler, sleep=sleep) as c:
        record = await c.follow(EX, events.append, use_sse=False)
    assert sleep.waits == [1, 2, 4, 8, 10, 10, 1, 2]
    assert record.status is ExecutionState.COMPLETED
    assert [(e.node_id, e.state, e.progress) for e in events[:3]] == [
        (None, ExecutionState.RUNNING, None),
        ("a", NodeState.RUNNING, 0.1),
        ("a", NodeState.RUNNING, 0.6),
    ]
    done, final = events[3:]
    assert (done.node_id, done.state, done.duration_ms, done.credits, done.outputs) == (
        "a",
        NodeState.COMPLETED,
        3.0,
        1.0,
        {"text": "done"},
    )
    assert (final.node_id, final.state, final.outputs) == (
        None,
        ExecutionState.COMPLETED,
        {"out": "done"},
    )


async def test_follow_polls_when_the_server_has_no_event_stream() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return error(404, "route_not_found")
        if request.url.path.endswith("/poll"):
            return httpx.Response(200, json=poll("COMPLETED", node="COMPLETED"))
        return httpx.Response(200, json=RECORD)

    events: list[ExecutionEvent] = []
    async with client(handler) as c:
        record = await c.follow(EX, events.append)
    assert record.outputs == {"out": "done"}
    assert [(e.node_id, e.state) for e in events] == [
        ("a", NodeState.COMPLETED),
        (None, ExecutionState.COMPLETED),
    ]


async def test_busy_server_and_in_flight_request_are_waited_out_with_the_same_key() -> None:
    answers = [
        error(503, "server_busy", {"Retry-After": "5"}),
        error(409, "idempotency_request_in_flight", {"Retry-After": "1"}),
    ]
    keys: list[str] = []
    accepted = {
        "executionId": EX,
        "status": "QUEUED",
        "pollUrl": f"{BASE}/p",
        "eventsUrl": f"{BASE}/e",
        "recordUrl": f"{BASE}/r",
        "estimatedCredits": 0.0,
    }

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        if answers:
            return answers.pop(0)
        return httpx.Response(201, json=accepted, headers={"Idempotent-Replayed": "true"})

    sleep = FakeSleep()
    notices: list[WaitNotice] = []
    async with client(handler, sleep=sleep, notices=notices) as c:
        result = await c.execute("wf_1")
    assert (result.status, result.replayed) == (ExecutionState.QUEUED, True)
    assert len(set(keys)) == 1 and len(keys) == 3
    assert sleep.waits == [5, 1]
    assert [(n.reason, n.attempt) for n in notices] == [
        (WaitReason.SERVER_BUSY, 2),
        (WaitReason.SERVER_BUSY, 3),
    ]


async def test_bad_gateway_is_retried_for_reads_but_not_for_a_create() -> None:
    answers = [httpx.Response(502, text="<html>bad gateway</html>")] * 2

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(502, text="<html>bad gateway</html>")
        if answers:
            return answers.pop()
        return httpx.Response(200, json={"status": "ok", "version": "9.9"})

    sleep = FakeSleep()
    retry = ClientRetry(initial_backoff_s=0.5, jitter=0)
    async with client(handler, sleep=sleep, retry=retry) as c:
        assert await c.health() == "9.9"
        with pytest.raises(ServerError) as failed:
            await c.create_workflow({"name": "x"})
    assert sleep.waits == [0.5, 1.0]
    assert (failed.value.status, failed.value.code) == (502, "http_502")


async def test_a_lost_answer_to_a_create_is_not_repeated() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        raise httpx.ReadError("connection reset", request=request)

    async with client(handler) as c:
        with pytest.raises(ServerUnreachable) as lost:
            await c.create_workflow({"name": "x"})
    assert sent == ["POST"]
    assert "may or may not have been carried out" in str(lost.value)


async def test_rate_limit_retries_are_bounded_by_attempts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return error(429, "rate_limited", {"Retry-After": "2"})

    sleep = FakeSleep()
    async with client(handler, sleep=sleep, retry=ClientRetry(attempts=3)) as c:
        with pytest.raises(RateLimited) as limited:
            await c.account()
    assert sleep.waits == [2, 2]
    assert limited.value.retry_after == 2


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (httpx.Response(404, text="<html>not found</html>"), ProtocolError),
        (httpx.Response(200, text="<html>hello</html>"), ProtocolError),
        (httpx.Response(200, json={"unexpected": True}), ProtocolError),
        (httpx.Response(500, text="oops"), ServerError),
    ],
)
async def test_answers_that_are_not_the_api_s(
    answer: httpx.Response, kind: type[Exception]
) -> None:
    async with client(lambda request: answer) as c:
        with pytest.raises(kind):
            await c.account()


async def test_the_key_is_scrubbed_from_what_the_server_says() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {SECRET}"
        body = {"error": {"type": "x", "code": "y", "message": f"bad key {SECRET}"}}
        return httpx.Response(400, json=body)

    async with client(handler) as c:
        with pytest.raises(Exception) as failed:
            await c.account()
    assert SECRET not in str(failed.value) and SECRET not in repr(failed.value)
    assert "[redacted]" in str(failed.value)
    assert SECRET not in repr(c)


def test_events_parse_back_into_engine_events() -> None:
    original = ExecutionEvent(
        EX,
        NodeState.FAILED,
        "paint",
        at=12.5,
        duration_ms=3.0,
        error=NodeErrorInfo(ErrorKind.TIMEOUT, "timed out", {"after_s": 30}),
        attempt=2,
        preview=True,
    )
    assert event_from_json(json.loads(json.dumps(original.to_json()))) == original
    final = ExecutionEvent(EX, ExecutionState.CANCELLED, at=1.0, credits=0.0)
    assert event_from_json(final.to_json()) == final
    with pytest.raises(ProtocolError):
        event_from_json({"executionId": EX, "state": "NAPPING"})


def test_sse_parser_handles_comments_ids_and_multiline_data() -> None:
    parser = SseParser()
    lines = [": keepalive", "", "id: 7", "event: node", "data: {", "data: }", "", "data:x", ""]
    messages = [m for m in map(parser.feed, lines) if m is not None]
    assert [(m.id, m.event, m.data) for m in messages] == [
        ("7", "node", "{\n}"),
        ("7", "message", "x"),
    ]


def test_base_urls_are_normalised() -> None:
    assert normalise_base_url(" http://h:8000/api/v1/ ") == "http://h:8000"
    assert normalise_base_url("https://h/patchbay/") == "https://h/patchbay"
    for bad in ("ftp://h", "localhost:8000", "http://"):
        with pytest.raises(ValueError):
            normalise_base_url(bad)
