"""Executions: poll, full record, server-sent events, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse

from engine.server.deps import BaseUrl, Caller, State, base_of, principal_of, state_of
from engine.server.errors import COMMON_ERRORS, NotFound, error_responses
from engine.server.models import CancelOut, ExecutionRecordOut, PollOut
from engine.server.presenter import full_view, poll_view
from engine.server.service import ServerState
from engine.server.sse import event_stream
from engine.server.storage import StoredExecution

router = APIRouter(tags=["executions"])

#: One server-sent event: ``event`` is ``execution`` or ``node``, ``data`` the event's JSON.
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "event": {"type": "string", "enum": ["execution", "node"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
    "required": ["event", "data"],
}


def owned_execution(state: ServerState, account_id: str, execution_id: str) -> StoredExecution:
    """The caller's execution, or 404 (also for another account's)."""
    execution = state.storage.get_execution(account_id, execution_id)
    if execution is None:
        raise NotFound(f"no execution {execution_id}", code="execution_not_found")
    return execution


@router.get(
    "/api/v1/executions/{execution_id}/poll",
    response_model=PollOut,
    responses=error_responses(*COMMON_ERRORS, 404),
    openapi_extra={"security": [{"HTTPBearer": []}]},
    summary="Poll an execution",
)
async def poll(execution_id: str, request: Request) -> JSONResponse:
    """Status, overall progress and each node's status; outputs once COMPLETED."""
    # Polled often: no FastAPI dependencies (see engine.server.deps).
    state = state_of(request)
    caller = principal_of(request)
    execution = owned_execution(state, caller.account.id, execution_id)
    return JSONResponse(poll_view(state.runs.record_of(execution), base_of(request)))


@router.get(
    "/api/v1/workflows/executions/{execution_id}",
    response_model=ExecutionRecordOut,
    responses=error_responses(*COMMON_ERRORS, 404),
    summary="The full record of an execution",
)
async def record(execution_id: str, state: State, caller: Caller, base: BaseUrl) -> dict[str, Any]:
    """Per node: status, startedAt, finishedAt, durationMs, credits, attempts, outputs, error."""
    execution = owned_execution(state, caller.account.id, execution_id)
    return full_view(execution, state.runs.record_of(execution), base)


@router.get(
    "/api/v1/executions/{execution_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "A text/event-stream of the execution's events",
            "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
        },
        **error_responses(*COMMON_ERRORS, 404),
    },
    summary="Stream an execution's events (SSE)",
)
async def events(
    execution_id: str,
    state: State,
    caller: Caller,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """The same events as the engine emits, pushed as server-sent events."""
    account_id = caller.account.id
    owned_execution(state, account_id, execution_id)
    after = int(last_event_id) if last_event_id and last_event_id.strip().isdigit() else None

    def load() -> dict[str, Any]:
        return state.runs.record_of(owned_execution(state, account_id, execution_id))

    return StreamingResponse(
        event_stream(state.runs, execution_id, load, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/api/v1/executions/{execution_id}/cancel",
    response_model=CancelOut,
    responses=error_responses(*COMMON_ERRORS, 404),
    summary="Cancel an execution",
)
async def cancel(execution_id: str, state: State, caller: Caller) -> dict[str, Any]:
    """Cancel the run (idempotent: a finished run is reported as it ended)."""
    execution = owned_execution(state, caller.account.id, execution_id)
    await state.runs.cancel(execution_id)
    execution = owned_execution(state, caller.account.id, execution_id)
    return {"executionId": execution_id, "status": state.runs.record_of(execution)["status"]}
