"""The async client of the Patchbay REST API (docs/api.md), as the app and scripts use it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from engine.artifacts import ArtifactStore
from engine.client.errors import ProtocolError, StreamInterrupted
from engine.client.events import SseParser, message_to_event
from engine.client.follow import Follower
from engine.client.http import Call, Http, safe_path
from engine.client.models import (
    Accepted,
    Account,
    ClientRetry,
    Estimate,
    PollStatus,
    Publication,
    StoredWorkflow,
    WaitNotice,
    WebhookState,
    WorkflowPage,
    WorkflowSummary,
)
from engine.executor.events import ExecutionEvent, ExecutionState
from engine.executor.options import RunScope
from engine.executor.record import ExecutionRecord
from engine.server.signing import SIGNATURE_HEADER, sign
from engine.values import Artifact
from engine.workflow import Workflow

M = TypeVar("M", bound=BaseModel)

API = "/api/v1"
#: Longest a quiet event stream is waited on (the server sends a keepalive every 15 s).
STREAM_READ_TIMEOUT_S = 60.0


def normalise_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash (or ``/api/v1``); ``ValueError`` if not http(s)."""
    text = base_url.strip().rstrip("/")
    text = text.removesuffix(API).rstrip("/")
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a server URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("a server URL starts with http:// or https:// and names a host")
    return text


class PatchbayClient:
    """An async client of one Patchbay server, authenticated with one API key.

    Use it as ``async with PatchbayClient(url, key) as client: ...``. Every method
    retries as described in :mod:`engine.client.http`; ``on_wait`` hears of each
    wait (rate limits, a busy server, reconnecting). ``transport`` and ``sleep``
    are seams for tests. The key is never shown by ``repr``, messages or logs.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: ClientRetry | None = None,
        on_wait: Callable[[WaitNotice], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.retry = retry or ClientRetry()
        self.timeout = timeout
        self._http = Http(
            self.base_url,
            api_key,
            timeout=timeout,
            retry=self.retry,
            on_wait=on_wait,
            transport=transport,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        key = "set" if self._http.has_key else "none"
        return f"PatchbayClient({self._http.display_url!r}, api_key={key})"

    async def __aenter__(self) -> PatchbayClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._http.aclose()

    # --- server and account ---------------------------------------------------------

    async def health(self) -> str:
        """The server's version (``GET /healthz``, no key needed)."""
        data = await self._json(Call("GET", "/healthz", authenticated=False, repeatable=True))
        version = data.get("version") if isinstance(data, dict) else None
        if not isinstance(version, str):
            raise ProtocolError(f"{self._http.display_url}/healthz is not a Patchbay health check")
        return version

    async def account(self) -> Account:
        """The key's account: tier, limits, credits and today's usage."""
        return await self._model(Account, Call("GET", f"{API}/account", repeatable=True))

    # --- workflows ------------------------------------------------------------------

    async def list_workflows(self, *, limit: int = 50, offset: int = 0) -> WorkflowPage:
        """One page of the account's workflows, oldest first."""
        params = {"limit": limit, "offset": offset}
        return await self._model(
            WorkflowPage, Call("GET", f"{API}/workflows", params=params, repeatable=True)
        )

    async def all_workflows(self) -> list[WorkflowSummary]:
        """Every workflow of the account (following the pages)."""
        found: list[WorkflowSummary] = []
        offset: int | None = 0
        while offset is not None:
            page = await self.list_workflows(limit=200, offset=offset)
            found.extend(page.items)
            offset = page.next_offset if page.items else None
        return found

    async def get_workflow(self, workflow_id: str) -> StoredWorkflow:
        """One workflow with its document and the server validator's warnings."""
        call = Call("GET", f"{API}/workflows/{_segment(workflow_id)}", repeatable=True)
        return await self._model(StoredWorkflow, call)

    async def create_workflow(self, workflow: Workflow | Mapping[str, Any]) -> StoredWorkflow:
        """Store a workflow (``InvalidRequest`` with every violation when invalid)."""
        call = Call("POST", f"{API}/workflows", json=_document(workflow))
        return await self._model(StoredWorkflow, call)

    async def update_workflow(
        self, workflow_id: str, workflow: Workflow | Mapping[str, Any]
    ) -> StoredWorkflow:
        """Replace a stored workflow's document (its version goes up; the webhook stays)."""
        path = f"{API}/workflows/{_segment(workflow_id)}"
        call = Call("PUT", path, json=_document(workflow), repeatable=True)
        return await self._model(StoredWorkflow, call)

    async def delete_workflow(self, workflow_id: str) -> None:
        """Delete a workflow and deactivate its webhook (its executions stay readable)."""
        await self._json(Call("DELETE", f"{API}/workflows/{_segment(workflow_id)}"))

    # --- running --------------------------------------------------------------------

    async def estimate(self, workflow_id: str, **run: Any) -> Estimate:
        """The run's per-node credit estimate; takes the same keywords as :meth:`execute`."""
        run.pop("idempotency_key", None)
        path = f"{API}/workflows/{_segment(workflow_id)}/estimate"
        return await self._model(
            Estimate, Call("POST", path, json=run_body(**run), repeatable=True)
        )

    async def execute(
        self,
        workflow_id: str,
        *,
        inputs: dict[str, Any] | None = None,
        workflow: Workflow | None = None,
        target_node_id: str | None = None,
        scope: RunScope | None = None,
        use_cache: bool = True,
        preview: bool = False,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> Accepted:
        """Start a run of a stored workflow (or of ``workflow``'s graph in its place).

        Every call sends an ``Idempotency-Key`` (a fresh one unless given), the same
        on each automatic retry, so a retried request never starts a second run.
        """
        body = run_body(
            inputs=inputs,
            workflow=workflow,
            target_node_id=target_node_id,
            scope=scope,
            use_cache=use_cache,
            preview=preview,
            callback_url=callback_url,
        )
        key = idempotency_key or str(uuid.uuid4())
        call = Call(
            "POST",
            f"{API}/workflows/{_segment(workflow_id)}/execute",
            json=body,
            headers={"Idempotency-Key": key},
            repeatable=True,
        )
        return await self._accepted(call)

    async def poll(self, execution_id: str) -> PollStatus:
        """The run's status, progress and each node's status."""
        call = Call("GET", f"{API}/executions/{_segment(execution_id)}/poll", repeatable=True)
        return await self._model(PollStatus, call)

    async def record(self, execution_id: str) -> ExecutionRecord:
        """The run's full record (what the local engine returns for a local run)."""
        path = f"{API}/workflows/executions/{_segment(execution_id)}"
        return await self._model(ExecutionRecord, Call("GET", path, repeatable=True))

    async def events(
        self, execution_id: str, *, last_event_id: str | None = None
    ) -> AsyncIterator[ExecutionEvent]:
        """The run's events over one server-sent-event stream, until the server ends it.

        Events after ``last_event_id`` only, when given. See :meth:`follow` for a
        stream that reconnects and ends with the final record.
        """
        stream = self.sse(execution_id, last_event_id=last_event_id)
        async with contextlib.aclosing(stream):
            async for _, event in stream:
                yield event

    async def sse(
        self, execution_id: str, *, last_event_id: str | None = None
    ) -> AsyncGenerator[tuple[str | None, ExecutionEvent], None]:
        """Like :meth:`events`, with each event's SSE ``id`` (``None`` in a summary)."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        call = Call(
            "GET",
            f"{API}/executions/{_segment(execution_id)}/events",
            headers=headers,
            repeatable=True,
            timeout=httpx.Timeout(self.timeout, read=max(self.timeout, STREAM_READ_TIMEOUT_S)),
        )
        response = await self._http.send(call, stream=True)
        try:
            content_type = response.headers.get("content-type", "")
            if not content_type.startswith("text/event-stream"):
                raise ProtocolError(
                    f"the events of {execution_id} came as {content_type or 'no content type'}, "
                    "not text/event-stream",
                    status=response.status_code,
                )
            parser = SseParser()
            try:
                async for line in response.aiter_lines():
                    message = parser.feed(line)
                    if message is not None:
                        yield message.id, message_to_event(message)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
                raise StreamInterrupted(
                    f"the event stream of {execution_id} broke ({reason})",
                    url=self._http.display_url,
                    reason=reason,
                ) from None
        finally:
            await response.aclose()

    async def follow(
        self,
        execution_id: str,
        on_event: Callable[[ExecutionEvent], None] | None = None,
        *,
        use_sse: bool = True,
    ) -> ExecutionRecord:
        """Follow a run to its end, handing each event to ``on_event``; the final record.

        By server-sent events (reconnecting with ``Last-Event-ID`` when the stream
        drops), or, when ``use_sse`` is false or the server has no event stream, by
        polling with exponential backoff (``poll_initial_s`` doubling up to
        ``poll_max_s``, back to the start whenever something changed), turning each
        change into the same events.
        """
        return await Follower(self, execution_id, on_event).run(use_sse=use_sse)

    async def cancel(self, execution_id: str) -> ExecutionState:
        """Cancel the run (idempotent); its state afterwards."""
        path = f"{API}/executions/{_segment(execution_id)}/cancel"
        data = await self._json(Call("POST", path, repeatable=True))
        try:
            return ExecutionState(data["status"])
        except (KeyError, TypeError, ValueError):
            raise ProtocolError(f"an unexpected answer to cancel: {str(data)[:200]}") from None

    # --- publishing -----------------------------------------------------------------

    async def publish(self, workflow_id: str, *, signed: bool = False) -> Publication:
        """Give the workflow a (new) webhook URL; an earlier one stops working."""
        path = f"{API}/workflows/{_segment(workflow_id)}/publish"
        call = Call("POST", path, json={"signed": signed}, repeatable=True)
        return await self._model(Publication, call)

    async def unpublish(self, workflow_id: str) -> None:
        """Deactivate the workflow's webhook (idempotent)."""
        path = f"{API}/workflows/{_segment(workflow_id)}/publish"
        await self._json(Call("DELETE", path, repeatable=True))

    async def trigger(
        self,
        webhook_url: str,
        inputs: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        signing_secret: str | None = None,
    ) -> Accepted:
        """Trigger a published workflow as a form or CI job would: no API key is sent.

        ``signing_secret`` (from :meth:`publish` with ``signed=True``) signs the
        body with ``Patchbay-Signature``, as signed webhooks require.
        """
        body = json.dumps(dict(inputs or {}), separators=(",", ":")).encode()
        headers = {
            "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
            "Content-Type": "application/json",
        }
        if signing_secret is not None:
            headers[SIGNATURE_HEADER] = sign(signing_secret, body)
        call = Call(
            "POST",
            webhook_url,
            content=body,
            headers=headers,
            authenticated=False,
            repeatable=True,
        )
        return await self._accepted(call)

    async def webhook_state(self, webhook_url: str) -> WebhookState:
        """Whether the webhook is active (``NotFoundError`` for an unknown one)."""
        call = Call("GET", webhook_url, authenticated=False, repeatable=True)
        return await self._model(WebhookState, call)

    # --- artifacts ------------------------------------------------------------------

    async def download_artifact(self, artifact_id: str) -> bytes:
        """An artifact's bytes."""
        call = Call("GET", f"{API}/artifacts/{_segment(artifact_id)}", repeatable=True)
        return (await self._http.send(call)).content

    async def fetch_artifact(self, artifact: Artifact, store: ArtifactStore) -> Path:
        """The artifact's file in a local store, downloaded unless it is already there.

        Stores are content-addressed, so the local copy has the same id; bytes
        that do not hash to it are refused (``ProtocolError``).
        """
        if not store.exists(artifact):
            data = await self.download_artifact(artifact.id)
            if hashlib.sha256(data).hexdigest() != artifact.id:
                raise ProtocolError(f"the download of artifact {artifact.id[:12]}… is corrupt")
            await asyncio.to_thread(
                store.put_bytes,
                data,
                kind=artifact.kind,
                media_type=artifact.media_type,
                filename=artifact.filename,
                metadata=artifact.metadata,
                preview=artifact.preview,
            )
        return store.path(artifact)

    # --- plumbing -------------------------------------------------------------------

    async def _json(self, call: Call) -> Any:
        data, _ = await self._http.json(call)
        return data

    async def _model(self, model: type[M], call: Call) -> M:
        data, response = await self._http.json(call)
        return _parse(model, data, response)

    async def _accepted(self, call: Call) -> Accepted:
        data, response = await self._http.json(call)
        replayed = response.headers.get("idempotent-replayed", "").lower() == "true"
        if isinstance(data, dict):
            data = {**data, "replayed": replayed}
        return _parse(Accepted, data, response)


def run_body(
    *,
    inputs: dict[str, Any] | None = None,
    workflow: Workflow | None = None,
    target_node_id: str | None = None,
    scope: RunScope | None = None,
    use_cache: bool = True,
    preview: bool = False,
    callback_url: str | None = None,
) -> dict[str, Any]:
    """The JSON body of ``execute`` and ``estimate`` (only what differs from the defaults)."""
    body: dict[str, Any] = {}
    if inputs is not None:
        body["inputs"] = inputs
    if workflow is not None:
        document = workflow.to_json_dict()
        body["nodes"] = document["nodes"]
        body["edges"] = document["edges"]
    if target_node_id is not None:
        body["targetNodeId"] = target_node_id
    if scope is not None:
        body["scope"] = RunScope(scope).value
    if not use_cache:
        body["useCache"] = False
    if preview:
        body["preview"] = True
    if callback_url is not None:
        body["callbackUrl"] = callback_url
    return body


def _document(workflow: Workflow | Mapping[str, Any]) -> dict[str, Any]:
    return workflow.to_json_dict() if isinstance(workflow, Workflow) else dict(workflow)


def _segment(value: str) -> str:
    """An id as one path segment (ids never contain ``/``; refuse one that does)."""
    if not value or "/" in value or value in (".", ".."):
        raise ValueError(f"not an id: {value!r}")
    return value


def _parse(model: type[M], data: Any, response: httpx.Response) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(
            f"an unexpected answer from {safe_path(str(response.request.url))}: "
            f"{exc.error_count()} problem(s) reading it as {model.__name__}",
            status=response.status_code,
        ) from None
