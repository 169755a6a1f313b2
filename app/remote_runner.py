"""Running on a Patchbay server, behind the same :class:`~app.runners.Runner` interface.

:class:`RemoteRunner` uploads the document's current graph (saved or not) and
executes it on the server with :class:`~engine.client.PatchbayClient`, in the
app's asyncio loop (qasync). A document linked to a workflow on this server
(``workflow.metadata["server"]``) runs its current graph on that workflow
(``execute(workflow=...)``); otherwise the workflow is created first and the
handle emits :attr:`RemoteHandle.linked` so the document can remember it.

Each :meth:`RemoteRunner.start` uses a fresh ``Idempotency-Key`` (the client
reuses it when it retries the request by itself). Progress comes from the
server-sent event stream (the client falls back to polling) and reaches the UI
through the one :class:`~app.event_bridge.EventBridge`, batched exactly like a
local run's events. Image outputs are downloaded into the runner's local
content-addressed cache *before* the node's event is shown, so thumbnails appear
as in a local run; video and audio are downloaded only when asked for
(:meth:`RemoteRunner.fetch`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Signal

from app.event_bridge import EventBridge
from app.remote_record import LiveRecord, artifacts_in
from app.runners import RunHandle, Runner, install_event_loop
from app.servers import ServerProfile, server_link
from engine.artifacts import ArtifactStore
from engine.catalog.registry import Catalog
from engine.catalog.spec import PortType
from engine.client import (
    ClientError,
    ClientRetry,
    NotFoundError,
    PatchbayClient,
    WaitNotice,
    WaitReason,
)
from engine.credits import CreditEstimate
from engine.executor import (
    ExecutionEvent,
    ExecutionRecord,
    Executor,
    PlanError,
    RunOptions,
    RunScope,
)
from engine.values import Artifact
from engine.workflow import Workflow

log = logging.getLogger(__name__)

#: Outputs downloaded as soon as a node reports them (they become thumbnails).
EAGER_KINDS = frozenset({PortType.IMAGE, PortType.MASK})
#: Outputs downloaded in the background once shown, for the canvas's frame or waveform.
PREVIEW_KINDS = frozenset({PortType.VIDEO, PortType.AUDIO})
#: Video and audio up to this size get a canvas preview; larger ones wait to be asked for.
MEDIA_PREFETCH_BYTES = 32 * 1024 * 1024
#: Waits between tries of a download the server does not offer yet (during a run).
BACKGROUND_RETRIES_S = (0.25, 0.5, 1.0, 2.0, 4.0)


def _unique(artifacts: list[Artifact]) -> list[Artifact]:
    return list({a.id: a for a in artifacts}.values())


def remote_cache_dir(data_dir: Path, url: str) -> Path:
    """Where downloads from the server at ``url`` are kept: ``<data>/remote-cache/<host_port>``."""
    parts = urlsplit(url)
    host = (parts.netloc or parts.path or "server").lower()
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in host)
    return Path(data_dir) / "remote-cache" / safe


class RemoteHandle(RunHandle):
    """A run on a server, as the UI sees it.

    Signals (besides :class:`~app.runners.RunHandle`'s):
        waiting(str): the client waits before trying again, e.g. "Rate limited by
            studio: waiting 12 s"; emitted before each wait.
        accepted(str): the server accepted the run (its execution id).
        linked(str): the server workflow created for a document not linked yet.
        downloaded(str): an output (artifact id) arrived in the cache after its node
            was shown: its thumbnail, video frame or waveform can be drawn now.
        failed(ClientError): the run could not be started or followed.
    """

    waiting = Signal(str)
    accepted = Signal(str)
    linked = Signal(str)
    downloaded = Signal(str)

    def __init__(self, runner: RemoteRunner, live: LiveRecord) -> None:
        super().__init__()
        self.runner = runner
        self._remote = runner
        self.idempotency_key = str(uuid.uuid4())
        self.workflow_id: str | None = None
        self.wait_notice: WaitNotice | None = None
        self._live = live
        self._bridge = EventBridge(self)
        self._bridge.batch.connect(self.events)
        self._queue: asyncio.Queue[ExecutionEvent | None] = asyncio.Queue()
        self._delivered: dict[str, ExecutionEvent] = {}  # last event shown per node
        self._task: asyncio.Task[None] | None = None
        self._cancel_requested = False
        self._sent = False  # the execute request may have reached the server
        self._background: dict[str, asyncio.Task[None]] = {}  # downloads during the run
        self._rate_limited = False  # sleeping out a 429's Retry-After right now

    @property
    def execution_id(self) -> str:
        return self._live.execution_id

    @property
    def profile(self) -> ServerProfile:
        return self._remote.profile

    @property
    def record(self) -> ExecutionRecord:
        return self.final if self.final is not None else self._live.snapshot()

    def cancel(self) -> None:
        """Cancel on the server (or, before the server accepted the run, stop trying)."""
        if self.done or self._cancel_requested:
            return
        self._cancel_requested = True
        if self.execution_id:
            self._remote._spawn(self._remote._cancel(self.execution_id))
        elif self._task is not None and (not self._sent or self._rate_limited):
            # Nothing was accepted yet: the request was not sent, or it was refused
            # with a 429 and the client is waiting to send it again.
            self._task.cancel()

    # -- the run -------------------------------------------------------------------

    def _begin(self, work: Any) -> None:
        loop = install_event_loop()
        self._task = loop.create_task(self._main(work))

    async def _sleep(self, seconds: float) -> None:
        self._rate_limited = self.wait_notice is not None and (
            self.wait_notice.reason == WaitReason.RATE_LIMITED
        )
        try:
            await asyncio.sleep(seconds)
        finally:
            self._rate_limited = False

    async def _main(self, work: Any) -> None:
        try:
            async with self._remote.client(on_wait=self._on_wait, sleep=self._sleep) as client:
                record = await work(client)
        except asyncio.CancelledError:
            if not self.done:
                self._bridge.flush()
                self._end(self._live.cancelled())
            return
        except ClientError as exc:
            log.info("remote run on %s failed: %s", self.profile.url, exc)
            self._bridge.flush()
            self.error = exc
            self.failed.emit(exc)
            return
        self._end(record)

    def _end(self, record: ExecutionRecord) -> None:
        self._bridge.flush()
        self.final = record
        self.finished.emit(record)

    async def _run(
        self, client: PatchbayClient, workflow: Workflow, options: RunOptions
    ) -> ExecutionRecord:
        workflow_id = await self._workflow_id(client, workflow)
        run: dict[str, Any] = {
            "inputs": dict(options.inputs) or None,
            "workflow": workflow,
            "use_cache": options.use_cache,
            "preview": options.preview,
            "idempotency_key": self.idempotency_key,
        }
        if options.scope != RunScope.ALL:
            run.update(scope=options.scope, target_node_id=options.target_node_id)
        self._sent = True
        try:
            accepted = await client.execute(workflow_id, **run)
        except NotFoundError:
            if self.workflow_id is None:
                raise
            # The linked workflow was deleted on the server: upload it afresh.
            workflow_id = await self._create(client, workflow)
            accepted = await client.execute(workflow_id, **run)
        self._live.execution_id = accepted.execution_id
        self._live.estimated_credits = accepted.estimated_credits
        self.accepted.emit(accepted.execution_id)
        if self._cancel_requested:
            self._remote._spawn(self._remote._cancel(accepted.execution_id))
        return await self._follow(client, accepted.execution_id)

    async def _attach(self, client: PatchbayClient, execution_id: str) -> ExecutionRecord:
        self._live = LiveRecord.of(await client.record(execution_id))
        self.accepted.emit(execution_id)
        return await self._follow(client, execution_id)

    async def _workflow_id(self, client: PatchbayClient, workflow: Workflow) -> str:
        link = server_link(workflow)
        if link is not None and link.url == self.profile.url:
            self.workflow_id = link.workflow_id
            return link.workflow_id
        return await self._create(client, workflow)

    async def _create(self, client: PatchbayClient, workflow: Workflow) -> str:
        stored = await client.create_workflow(workflow)
        self.workflow_id = None
        self.linked.emit(stored.id)
        return stored.id

    async def _follow(self, client: PatchbayClient, execution_id: str) -> ExecutionRecord:
        deliver = asyncio.ensure_future(self._deliver(client))
        try:
            record = await client.follow(
                execution_id, self._queue.put_nowait, use_sse=self._remote.use_sse
            )
        finally:
            self._queue.put_nowait(None)
            await deliver
            for task in self._background.values():
                task.cancel()
        # The run is over, so everything it made can be downloaded now: the outputs
        # still missing for display arrive before the run is reported finished.
        outputs = [n.outputs for n in record.nodes]
        wanted = [a for a in artifacts_in(outputs) if self._for_display(a)]
        fetched = await asyncio.gather(*(self._fetch(client, a) for a in _unique(wanted)))
        self._complete_nodes(record)
        for artifact_id in filter(None, fetched):
            self.downloaded.emit(artifact_id)
        return record

    async def _deliver(self, client: PatchbayClient) -> None:
        """Show events in order, each once its images are in the local cache."""
        while (event := await self._queue.get()) is not None:
            later: list[Artifact] = []
            for artifact in artifacts_in(event.outputs or {}):
                if not self._for_display(artifact):
                    continue
                if artifact.kind in EAGER_KINDS and await self._fetch(client, artifact):
                    continue
                later.append(artifact)  # media, or a picture the server is not offering yet
            self._live.apply(event)
            if event.node_id is not None and event.item is None:
                self._delivered[event.node_id] = event
            self._bridge.push(event)
            for artifact in later:
                self._in_background(artifact)

    def _for_display(self, artifact: Artifact) -> bool:
        """Whether the canvas needs this output's file and the cache lacks it."""
        if self._remote.artifacts.exists(artifact):
            return False
        return artifact.kind in EAGER_KINDS or (
            artifact.kind in PREVIEW_KINDS and artifact.size <= self._remote.media_prefetch_bytes
        )

    async def _fetch(self, client: PatchbayClient, artifact: Artifact) -> str | None:
        """Download one output into the cache; its id, or ``None`` when it is not there yet."""
        store = self._remote.artifacts
        if store.exists(artifact):
            return None
        try:
            await client.fetch_artifact(artifact, store)
        except ClientError as exc:  # shown without its picture for now
            log.info("could not download %s yet: %s", artifact.id[:12], exc)
            return None
        return artifact.id

    def _in_background(self, artifact: Artifact) -> None:
        if artifact.id not in self._background:
            task = install_event_loop().create_task(self._fetch_later(artifact))
            self._background[artifact.id] = task

    async def _fetch_later(self, artifact: Artifact) -> None:
        """Download while the run goes on (a server may offer a file a moment after its event)."""
        for delay in (0.0, *BACKGROUND_RETRIES_S):
            await asyncio.sleep(delay)
            try:
                await self._remote.fetch(artifact)
            except NotFoundError:
                continue
            except ClientError as exc:
                log.info("could not download %s: %s", artifact.id[:12], exc)
                return
            self.downloaded.emit(artifact.id)
            return

    def _complete_nodes(self, record: ExecutionRecord) -> None:
        """Re-announce final nodes whose events lacked what the record has (polled runs)."""
        for node in record.nodes:
            shown = self._delivered.get(node.node_id)
            if not node.status.is_final:
                continue
            if (
                shown is not None
                and shown.state == node.status
                and (shown.outputs is not None or node.outputs is None)
                and (shown.duration_ms is not None or node.duration_ms is None)
            ):
                continue
            self._bridge.push(
                ExecutionEvent(
                    execution_id=record.execution_id,
                    state=node.status,
                    node_id=node.node_id,
                    at=node.finished_at or 0.0,
                    duration_ms=node.duration_ms,
                    credits=node.credits,
                    outputs=node.outputs,
                    error=node.error,
                    message=node.message,
                    preview=node.preview,
                )
            )

    def _on_wait(self, notice: WaitNotice) -> None:
        self.wait_notice = notice
        seconds = max(1, round(notice.seconds))
        name = self.profile.name
        if notice.reason == WaitReason.RATE_LIMITED:
            text = f"Rate limited by {name}: waiting {seconds} s"
        elif notice.reason == WaitReason.SERVER_BUSY:
            text = f"{name} is busy: waiting {seconds} s"
        else:
            text = f"Reconnecting to {name} in {seconds} s"
        self.waiting.emit(text)


class RemoteRunner(Runner):
    """Runs workflows on a Patchbay server with one account's API key.

    ``cache_dir`` holds the downloaded outputs (content-addressed, like the bundled
    engine's store, so thumbnails and the inspector read them the same way).
    Estimates are computed locally from ``catalog`` (the same pricing the server
    uses for the node types both know); the server's own estimate decides.
    Pictures are downloaded before their node is shown (or, when the server is not
    offering them yet, right after); videos and sounds up to ``media_prefetch_bytes``
    in the background once their node is shown (for the canvas's frame or
    waveform); larger ones only when the inspector or Save As asks (:meth:`fetch`).
    Whatever the canvas needs is in the cache when the handle reports ``finished``.
    """

    media_prefetch_bytes = MEDIA_PREFETCH_BYTES
    use_sse = True  # False: follow runs by polling (the client's fallback) only

    def __init__(
        self,
        profile: ServerProfile,
        api_key: str,
        catalog: Catalog,
        cache_dir: Path,
        *,
        retry: ClientRetry | None = None,
    ) -> None:
        self.profile = profile
        self.catalog = catalog
        self.retry = retry or ClientRetry()
        self._api_key = api_key
        self._artifacts = ArtifactStore(cache_dir)
        self._estimator = Executor(catalog, artifacts=self._artifacts)
        self._tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:  # never the key
        return f"RemoteRunner({self.profile.url!r})"

    @property
    def artifacts(self) -> ArtifactStore:
        return self._artifacts

    def client(self, **kwargs: Any) -> PatchbayClient:
        """A client for this server and key (use it with ``async with``)."""
        return PatchbayClient(self.profile.url, self._api_key, retry=self.retry, **kwargs)

    def estimate(self, workflow: Workflow, options: RunOptions) -> CreditEstimate:
        return self._estimator.estimate(workflow, options)

    def start(self, workflow: Workflow, options: RunOptions) -> RemoteHandle:
        """Upload and execute ``workflow``; returns the handle at once (nothing raises here)."""
        try:
            covered = set(self._estimator.plan(workflow, options).nodes)
        except (PlanError, ValueError, LookupError):
            covered = {n.id for n in workflow.nodes}  # the server will say what is wrong
        live = LiveRecord.planned(workflow, options, self.catalog, covered)
        handle = RemoteHandle(self, live)

        async def work(client: PatchbayClient) -> ExecutionRecord:
            return await handle._run(client, workflow, options)

        handle._begin(work)
        return handle

    def attach(self, execution_id: str) -> RemoteHandle:
        """Follow a run started elsewhere (a webhook trigger) like one started here."""
        handle = RemoteHandle(self, LiveRecord(execution_id, ""))
        handle._sent = True

        async def work(client: PatchbayClient) -> ExecutionRecord:
            return await handle._attach(client, execution_id)

        handle._begin(work)
        return handle

    async def fetch(self, artifact: Artifact) -> Path:
        """The local copy of ``artifact``, downloaded first when it is not cached.

        Raises :class:`~engine.client.ClientError` when the server cannot give it.
        """
        if self._artifacts.exists(artifact):
            return self._artifacts.path(artifact)
        async with self.client() as client:
            return await client.fetch_artifact(artifact, self._artifacts)

    async def _cancel(self, execution_id: str) -> None:
        try:
            async with self.client() as client:
                await client.cancel(execution_id)
        except ClientError as exc:
            log.warning("could not cancel %s on %s: %s", execution_id, self.profile.url, exc)

    def _spawn(self, work: Any) -> None:
        task = install_event_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


__all__ = ["RemoteHandle", "RemoteRunner", "remote_cache_dir"]
