"""``/api/v1/workflows``: create, list, read, replace, delete, execute, estimate, publish."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from engine.server.deps import (
    BaseUrl,
    Caller,
    State,
    base_of,
    parse_json,
    parse_model,
    principal_of,
    state_of,
)
from engine.server.errors import COMMON_ERRORS, NotFound, error_responses
from engine.server.models import (
    Deleted,
    EstimateOut,
    ExecuteRequest,
    ExecutionAccepted,
    PublishOut,
    PublishRequest,
    Unpublished,
    WorkflowOut,
    WorkflowPage,
)
from engine.server.service import (
    Idempotency,
    RunRequest,
    ServerState,
    fingerprint,
    idempotency_key,
    validate_document,
)
from engine.server.storage import StoredWorkflow, from_micro
from engine.validation import validate

router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"])

WORKFLOW_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Workflow"}}},
    }
}


def webhook_url(base: str, webhook_id: str) -> str:
    """The public trigger URL of a webhook id."""
    return f"{base}/workflow/{webhook_id}/trigger"


def summary(stored: StoredWorkflow, base: str) -> dict[str, Any]:
    """A workflow without its document."""
    nodes = stored.document.get("nodes")
    edges = stored.document.get("edges")
    return {
        "id": stored.id,
        "name": stored.name,
        "version": stored.version,
        "createdAt": stored.created_at,
        "updatedAt": stored.updated_at,
        "nodeCount": len(nodes) if isinstance(nodes, list) else 0,
        "edgeCount": len(edges) if isinstance(edges, list) else 0,
        "published": stored.webhook_id is not None,
        "webhookId": stored.webhook_id,
        "webhookUrl": webhook_url(base, stored.webhook_id) if stored.webhook_id else None,
    }


def detail(state: ServerState, stored: StoredWorkflow, base: str) -> dict[str, Any]:
    """A workflow with its document and the validator's warnings."""
    warnings = [v.to_json() for v in validate(stored.document, state.catalog) if not v.is_error]
    return {**summary(stored, base), "workflow": stored.document, "warnings": warnings}


def owned(state: ServerState, account_id: str, workflow_id: str) -> StoredWorkflow:
    """The caller's workflow, or 404 (also for another account's)."""
    stored = state.storage.get_workflow(account_id, workflow_id)
    if stored is None:
        raise NotFound(f"no workflow {workflow_id}", code="workflow_not_found")
    return stored


async def _document(request: Request, state: ServerState) -> tuple[dict[str, Any], str]:
    document = parse_json(await request.body())
    workflow = validate_document(document, state.catalog)
    return workflow.to_json_dict(), workflow.name


@router.post(
    "",
    status_code=201,
    response_model=WorkflowOut,
    responses=error_responses(*COMMON_ERRORS),
    openapi_extra=WORKFLOW_BODY,
    summary="Create a workflow",
)
async def create_workflow(
    request: Request, state: State, caller: Caller, base: BaseUrl
) -> JSONResponse:
    """Store a workflow document (validated: 422 lists every violation)."""
    document, name = await _document(request, state)
    stored = state.storage.create_workflow(caller.account.id, name, document, time.time())
    body = detail(state, stored, base)
    location = f"{base}/api/v1/workflows/{stored.id}"
    return JSONResponse(body, status_code=201, headers={"Location": location})


@router.get(
    "",
    response_model=WorkflowPage,
    responses=error_responses(*COMMON_ERRORS),
    summary="List workflows",
)
async def list_workflows(
    state: State,
    caller: Caller,
    base: BaseUrl,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """The caller's workflows, oldest first, one page at a time."""
    limits = state.config.limits
    size = min(limit or limits.default_page_size, limits.max_page_size)
    items, total = state.storage.list_workflows(caller.account.id, size, offset)
    following = offset + len(items)
    return {
        "items": [summary(w, base) for w in items],
        "total": total,
        "limit": size,
        "offset": offset,
        "nextOffset": following if following < total else None,
    }


@router.get(
    "/{workflow_id}",
    response_model=WorkflowOut,
    responses=error_responses(*COMMON_ERRORS, 404),
    summary="Read a workflow",
)
async def get_workflow(
    workflow_id: str, state: State, caller: Caller, base: BaseUrl
) -> dict[str, Any]:
    """One workflow with its document."""
    return detail(state, owned(state, caller.account.id, workflow_id), base)


@router.put(
    "/{workflow_id}",
    response_model=WorkflowOut,
    responses=error_responses(*COMMON_ERRORS, 404),
    openapi_extra=WORKFLOW_BODY,
    summary="Replace a workflow",
)
async def replace_workflow(
    workflow_id: str, request: Request, state: State, caller: Caller, base: BaseUrl
) -> dict[str, Any]:
    """Replace the document (its version goes up; the webhook stays)."""
    owned(state, caller.account.id, workflow_id)
    document, name = await _document(request, state)
    stored = state.storage.replace_workflow(
        caller.account.id, workflow_id, name, document, time.time()
    )
    if stored is None:
        raise NotFound(f"no workflow {workflow_id}", code="workflow_not_found")
    return detail(state, stored, base)


@router.delete(
    "/{workflow_id}",
    response_model=Deleted,
    responses=error_responses(*COMMON_ERRORS, 404),
    summary="Delete a workflow",
)
async def delete_workflow(workflow_id: str, state: State, caller: Caller) -> dict[str, Any]:
    """Delete the workflow and deactivate its webhook; past executions stay readable."""
    if not state.storage.delete_workflow(caller.account.id, workflow_id, time.time()):
        raise NotFound(f"no workflow {workflow_id}", code="workflow_not_found")
    return {"id": workflow_id, "deleted": True}


def _run_request(body: ExecuteRequest | None) -> RunRequest:
    if body is None:
        return RunRequest()
    return RunRequest(
        inputs=body.inputs,
        nodes=body.nodes,
        edges=body.edges,
        target_node_id=body.target_node_id,
        scope=body.scope,
        use_cache=body.use_cache,
        preview=body.preview,
        callback_url=body.callback_url,
    )


#: How the hand-parsed execute request is documented (see ``execute``).
EXECUTE_DOC: dict[str, Any] = {
    "security": [{"HTTPBearer": []}],
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Makes retries safe: the same key and body within 24 h replay "
            "the original response (Idempotent-Replayed: true)",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        }
    ],
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ExecuteRequest"}}
        },
    },
}


@router.post(
    "/{workflow_id}/execute",
    status_code=201,
    response_model=ExecutionAccepted,
    responses=error_responses(*COMMON_ERRORS, 402, 404, 409, 503),
    openapi_extra=EXECUTE_DOC,
    summary="Start a run",
)
async def execute(workflow_id: str, request: Request) -> JSONResponse:
    """Start a run: 201 with ``executionId``, ``pollUrl`` and ``Location``.

    Send ``Idempotency-Key`` to make retries safe (replayed for 24 h).
    """
    # The hottest route: parsed by hand, without FastAPI dependencies (see deps).
    state = state_of(request)
    caller = principal_of(request)
    stored = owned(state, caller.account.id, workflow_id)
    body = parse_model(await request.body(), ExecuteRequest)
    base = base_of(request)
    idempotency = None
    clean_key = idempotency_key(request.headers.get("idempotency-key"))
    if clean_key is not None:
        sent = body.model_dump(mode="json", by_alias=True, exclude_unset=True) if body else {}
        idempotency = Idempotency(
            f"key:{caller.key.id}", clean_key, fingerprint("execute", workflow_id, sent)
        )
    accepted = await state.accept_run(
        account=caller.account,
        stored=stored,
        run=_run_request(body),
        base_url=base,
        idempotency=idempotency,
    )
    return JSONResponse(accepted.body, status_code=accepted.status_code, headers=accepted.headers)


@router.post(
    "/{workflow_id}/estimate",
    response_model=EstimateOut,
    responses=error_responses(*COMMON_ERRORS, 404),
    summary="Estimate a run's credits",
)
async def estimate(
    workflow_id: str,
    state: State,
    caller: Caller,
    body: Annotated[ExecuteRequest | None, Body()] = None,
) -> dict[str, Any]:
    """The per-node credit estimate and whether the available credits cover it."""
    stored = owned(state, caller.account.id, workflow_id)
    prepared, _ = state.prepare(caller.account, stored, _run_request(body))
    available = from_micro(state.storage.available_micro(caller.account.id))
    return {
        "requiredCredits": prepared.estimate.total,
        "availableCredits": available,
        "sufficient": prepared.estimate.covered_by(available),
        "preview": prepared.options.preview,
        "breakdown": [line.to_json() for line in prepared.estimate.nodes],
    }


@router.post(
    "/{workflow_id}/publish",
    response_model=PublishOut,
    responses=error_responses(*COMMON_ERRORS, 404),
    summary="Publish (or rotate) the webhook",
)
async def publish(
    workflow_id: str,
    state: State,
    caller: Caller,
    base: BaseUrl,
    body: Annotated[PublishRequest | None, Body()] = None,
) -> dict[str, Any]:
    """Give the workflow a new webhook URL; any previous one stops working.

    With ``{"signed": true}`` triggers must carry a ``Patchbay-Signature`` made with
    the ``signingSecret`` returned here (shown once).
    """
    signed = bool(body and body.signed)
    secret = f"whsec_{secrets.token_urlsafe(32)}" if signed else None
    webhook_id = f"wh_{secrets.token_urlsafe(24)}"
    hook = state.storage.publish(caller.account.id, workflow_id, webhook_id, secret, time.time())
    if hook is None:
        raise NotFound(f"no workflow {workflow_id}", code="workflow_not_found")
    return {
        "workflowId": workflow_id,
        "webhookId": hook.id,
        "webhookUrl": webhook_url(base, hook.id),
        "signed": signed,
        "signingSecret": secret,
    }


@router.delete(
    "/{workflow_id}/publish",
    response_model=Unpublished,
    responses=error_responses(*COMMON_ERRORS, 404),
    summary="Unpublish",
)
async def unpublish(workflow_id: str, state: State, caller: Caller) -> dict[str, Any]:
    """Deactivate the workflow's webhook (idempotent)."""
    if not state.storage.unpublish(caller.account.id, workflow_id, time.time()):
        raise NotFound(f"no workflow {workflow_id}", code="workflow_not_found")
    return {"workflowId": workflow_id, "published": False}
