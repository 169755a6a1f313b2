"""The server's shared state and the one path every run takes to be accepted.

``execute`` (API key) and ``trigger`` (webhook) both go through
:meth:`ServerState.accept_run`:

1. claim the ``Idempotency-Key`` (a row with a unique key: of two concurrent
   identical requests exactly one proceeds; the other gets 409 while the first is
   in flight, or the replayed response afterwards; another body gets 422);
2. validate the workflow (422 with every violation), the inputs (422) and the
   callback URL, and plan and estimate the run;
3. in one transaction: check the tier's daily quota (429) and the credits (402
   with the per-node breakdown), insert the execution, reserve the estimate,
   count the execution, and store the response under the idempotency key;
4. start the run on the server's loop.

A refusal in 2 or 3 releases the idempotency claim, so the client can retry
after fixing the cause (topping up credits, say): only accepted requests are
replayed.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from engine.artifacts import ArtifactStore
from engine.catalog.registry import Catalog
from engine.errors import InputError, InvalidWorkflowError, PatchbayError
from engine.executor import RunOptions, RunScope
from engine.server.callbacks import CallbackDispatcher, CallbackRefused, check_callback_url
from engine.server.errors import (
    Conflict,
    IdempotencyKeyReused,
    InsufficientCredits,
    InvalidWorkflow,
    RateLimited,
    ServiceUnavailable,
    UnprocessableError,
)
from engine.server.inputs import check_inputs
from engine.server.presenter import full_view
from engine.server.ratelimit import RateLimiter
from engine.server.runs import PreparedRun, RunManager, new_execution_id
from engine.server.settings import ServerSettings
from engine.server.storage import (
    AcceptResult,
    Account,
    IdempotencyRef,
    IdempotencyState,
    NewExecution,
    Storage,
    StoredExecution,
    StoredWorkflow,
    from_micro,
    to_micro,
    utc_day,
)
from engine.validation import check_workflow
from engine.values import Artifact, encode_value
from engine.workflow import Workflow

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 255


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What a caller asked to run, however it arrived."""

    inputs: dict[str, Any] = field(default_factory=dict)
    nodes: list[Any] | None = None
    edges: list[Any] | None = None
    target_node_id: str | None = None
    scope: str | None = None
    use_cache: bool = True
    preview: bool = False
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """The response of an accepted (or replayed) run request."""

    status_code: int
    body: dict[str, Any]
    replayed: bool

    @property
    def headers(self) -> dict[str, str]:
        """``Location`` (the poll URL) and, on a replay, ``Idempotent-Replayed``."""
        headers = {"Location": str(self.body["pollUrl"])}
        if self.replayed:
            headers["Idempotent-Replayed"] = "true"
        return headers


@dataclass(frozen=True, slots=True)
class Idempotency:
    """An ``Idempotency-Key`` and the fingerprint of the request carrying it."""

    scope: str
    key: str
    fingerprint: str


def fingerprint(*parts: Any) -> str:
    """A hash of a request's meaningful content (canonical JSON, key order ignored)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def idempotency_key(raw: str | None) -> str | None:
    """The header's key, checked for length."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise UnprocessableError(
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters",
            code="invalid_idempotency_key",
        )
    return key


class ServerState:
    """Everything the routes share: settings, storage, catalog, runs, callbacks."""

    def __init__(self, settings: ServerSettings, storage: Storage, catalog: Catalog) -> None:
        self.settings = settings
        self.config = settings.config
        self.storage = storage
        self.catalog = catalog
        self.limiter = RateLimiter()
        self.artifacts = ArtifactStore(settings.artifacts_dir)
        self.runs = RunManager(
            storage=storage,
            catalog=catalog,
            artifacts=self.artifacts,
            data_dir=settings.data_dir,
            limits=self.config.limits,
        )
        self.callbacks = CallbackDispatcher(storage, self.config.callbacks, self.callback_payload)
        self.runs.on_finished.append(self._run_finished)
        self._workflows: OrderedDict[tuple[str, int], Workflow] = OrderedDict()
        self._catalog_export: dict[str, Any] | None = None
        self._with_callback: set[str] = set()

    # --- helpers shared by routes -----------------------------------------------------

    def base_url(self, request_base: str) -> str:
        """The URL prefix of links handed out (configured, else the request's)."""
        return (self.config.server.public_url or request_base).rstrip("/")

    def catalog_export(self) -> dict[str, Any]:
        """The catalog as JSON (built once)."""
        if self._catalog_export is None:
            self._catalog_export = self.catalog.export()
        return self._catalog_export

    def validated(self, stored: StoredWorkflow) -> Workflow:
        """A stored workflow, validated (memoised by id and version)."""
        key = (stored.id, stored.version)
        workflow = self._workflows.get(key)
        if workflow is None:
            workflow = validate_document(stored.document, self.catalog)
            self._workflows[key] = workflow
            if len(self._workflows) > 512:
                self._workflows.popitem(last=False)
        else:
            self._workflows.move_to_end(key)
        return workflow

    def artifact_allowed(self, account_id: str, artifact: Artifact) -> bool:
        """Whether an account may use this artifact as an input (or download it)."""
        return self.storage.owns_artifact(account_id, artifact.id) and self.artifacts.exists(
            artifact
        )

    def callback_payload(self, execution: StoredExecution) -> dict[str, Any]:
        """The body POSTed to a ``callbackUrl``: the final full record."""
        base = str(execution.request.get("baseUrl") or "")
        return full_view(execution, execution.record, base)

    def _run_finished(self, execution_id: str) -> None:
        if execution_id in self._with_callback:
            self._with_callback.discard(execution_id)
            self.callbacks.schedule(execution_id)

    # --- accepting runs -------------------------------------------------------------

    def prepare(
        self, account: Account, stored: StoredWorkflow, run: RunRequest
    ) -> tuple[PreparedRun, str]:
        """Validate a run request against the workflow; returns the plan and run id."""
        edited = run.nodes is not None or run.edges is not None
        if edited:
            document = dict(stored.document)
            if run.nodes is not None:
                document["nodes"] = run.nodes
            if run.edges is not None:
                document["edges"] = run.edges
            workflow = validate_document(document, self.catalog)
        else:
            workflow = self.validated(stored)
        inputs = check_inputs(
            run.inputs,
            workflow,
            artifact_allowed=lambda artifact: self.artifact_allowed(account.id, artifact),
        )
        if run.callback_url is not None:
            try:
                check_callback_url(run.callback_url, self.config.callbacks)
            except CallbackRefused as exc:
                raise UnprocessableError(str(exc), code="invalid_callback_url") from None
        scope = RunScope(run.scope) if run.scope else RunScope.ALL
        if run.target_node_id and scope == RunScope.ALL and run.scope is None:
            scope = RunScope.FROM_NODE
        limits = self.config.limits
        execution_id = new_execution_id()
        try:
            options = RunOptions(
                inputs=inputs,
                scope=scope,
                target_node_id=run.target_node_id,
                use_cache=run.use_cache,
                preview=run.preview,
                max_concurrency=limits.max_node_concurrency,
                node_timeout_s=limits.node_timeout_s,
                execution_id=execution_id,
            )
            key = (
                None
                if edited
                else (stored.id, stored.version, scope, run.target_node_id, run.preview)
            )
            prepared = self.runs.prepare(workflow, options, key)
        except ValueError as exc:
            raise UnprocessableError(_first_line(exc), code="invalid_run") from None
        except InputError as exc:
            raise UnprocessableError(str(exc), code="invalid_inputs") from None
        except PatchbayError as exc:
            raise UnprocessableError(str(exc), code="invalid_run") from None
        return prepared, execution_id

    async def accept_run(
        self,
        *,
        account: Account,
        stored: StoredWorkflow,
        run: RunRequest,
        base_url: str,
        idempotency: Idempotency | None,
        webhook_id: str | None = None,
        status_code: int = 201,
    ) -> Accepted:
        """Steps 1 to 4 of the module docstring."""
        if idempotency is not None:
            outcome = self.storage.idempotency_begin(
                idempotency.scope,
                idempotency.key,
                idempotency.fingerprint,
                time.time(),
                self.config.limits.idempotency_ttl_s,
            )
            if outcome.state is IdempotencyState.MISMATCH:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was already used with a different request body"
                )
            if outcome.state is IdempotencyState.IN_FLIGHT:
                raise Conflict(
                    "a request with this Idempotency-Key is still being processed; retry shortly",
                    headers={"Retry-After": "1"},
                )
            if outcome.state is IdempotencyState.REPLAY:
                assert outcome.response is not None and outcome.status_code is not None
                return Accepted(outcome.status_code, outcome.response, replayed=True)
        try:
            if self.config.testing.accept_delay_s:
                await asyncio.sleep(self.config.testing.accept_delay_s)
            return self._accept(
                account, stored, run, base_url, idempotency, webhook_id, status_code
            )
        except BaseException:
            if idempotency is not None:
                self.storage.idempotency_abandon(idempotency.scope, idempotency.key)
            raise

    def _accept(
        self,
        account: Account,
        stored: StoredWorkflow,
        run: RunRequest,
        base_url: str,
        idempotency: Idempotency | None,
        webhook_id: str | None,
        status_code: int,
    ) -> Accepted:
        if self.runs.queued >= self.config.limits.max_queued_runs:
            raise ServiceUnavailable(
                "the server has too many runs waiting; retry shortly",
                code="server_busy",
                headers={"Retry-After": "5"},
            )
        prepared, execution_id = self.prepare(account, stored, run)
        now = time.time()
        starts_now = self.runs.can_start_now()
        status = "RUNNING" if starts_now else "QUEUED"
        poll_url = f"{base_url}/api/v1/executions/{execution_id}/poll"
        body = {
            "executionId": execution_id,
            "status": status,
            "pollUrl": poll_url,
            "eventsUrl": f"{base_url}/api/v1/executions/{execution_id}/events",
            "recordUrl": f"{base_url}/api/v1/workflows/executions/{execution_id}",
            "estimatedCredits": prepared.estimate.total,
        }
        limits = self.config.tier(account.tier)
        daily = None if limits.unlimited_executions else limits.executions_per_day
        record = prepared.record
        acceptance = self.storage.accept_execution(
            NewExecution(
                id=execution_id,
                account_id=account.id,
                workflow_id=stored.id,
                webhook_id=webhook_id,
                status=record["status"],
                created_at=now,
                document=(
                    stored.document_text
                    if run.nodes is None and run.edges is None
                    else prepared.workflow.to_json_dict()
                ),
                request={
                    "inputs": encode_value(prepared.options.inputs),
                    "scope": prepared.options.scope.value,
                    "targetNodeId": prepared.options.target_node_id,
                    "useCache": prepared.options.use_cache,
                    "preview": prepared.options.preview,
                    "baseUrl": base_url,
                },
                record=record,
                estimate_micro=to_micro(prepared.estimate.total),
                callback_url=run.callback_url,
            ),
            day=utc_day(now),
            daily_limit=daily,
            idempotency=(
                IdempotencyRef(idempotency.scope, idempotency.key, status_code, body)
                if idempotency
                else None
            ),
        )
        if acceptance.result is AcceptResult.QUOTA_EXCEEDED:
            raise RateLimited(
                f"the {account.tier.value} tier allows {daily} executions a day; "
                "the quota resets at midnight UTC",
                retry_after=_seconds_to_utc_midnight(now),
                code="daily_quota_exceeded",
                limit=daily,
                used=acceptance.executions_today,
            )
        if acceptance.result is AcceptResult.INSUFFICIENT_CREDITS:
            required = prepared.estimate.total
            available = from_micro(acceptance.available_micro)
            raise InsufficientCredits(
                f"this run needs {required:g} credits but only {available:g} are available",
                requiredCredits=required,
                availableCredits=available,
                breakdown=[line.to_json() for line in prepared.estimate.nodes],
            )
        if prepared.priced:
            # The engine stops fanned-out items from spending past what is available.
            available = (
                acceptance.available_micro
                if prepared.estimate.total
                else self.storage.available_micro(account.id)
            )
            budget = from_micro(available) + prepared.estimate.total
            options = prepared.options.model_copy(update={"budget": max(budget, 0.0)})
            prepared = replace(prepared, options=options)
        if run.callback_url:
            self._with_callback.add(execution_id)
        self.runs.start(execution_id, account.id, prepared)
        return Accepted(status_code, body, replayed=False)


def validate_document(document: Any, catalog: Catalog) -> Workflow:
    """The workflow, or :class:`InvalidWorkflow` (422) listing every violation."""
    try:
        return check_workflow(document, catalog)
    except InvalidWorkflowError as exc:
        violations = [v.to_json() for v in exc.violations]
        errors = [v for v in exc.violations if v.is_error]
        first = errors[0].message if errors else "invalid workflow"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InvalidWorkflow(
            f"the workflow has {len(errors)} problem{'s' if len(errors) != 1 else ''}: "
            f"{first}{more}",
            violations=violations,
        ) from None


def _seconds_to_utc_midnight(now: float) -> int:
    day = time.gmtime(now)
    midnight = calendar.timegm((day.tm_year, day.tm_mon, day.tm_mday, 0, 0, 0)) + 86_400
    return max(1, int(midnight - now))


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
