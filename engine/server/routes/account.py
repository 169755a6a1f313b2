"""The account, its ledger, the node catalog, artifacts and the health check."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

import engine
from engine.errors import ArtifactNotFoundError
from engine.server.deps import Caller, State
from engine.server.errors import COMMON_ERRORS, NotFound, error_responses
from engine.server.models import AccountOut, CatalogOut, Health, LedgerOut
from engine.server.service import ServerState
from engine.server.storage import Principal, from_micro, utc_day

router = APIRouter(tags=["account"])

_ARTIFACT_ID = re.compile(r"^[0-9a-f]{64}$")


def account_view(state: ServerState, caller: Principal) -> dict[str, Any]:
    """Tier, limits, credits and today's usage."""
    account = state.storage.get_account(caller.account.id) or caller.account
    limits = state.config.tier(account.tier)
    usage = state.storage.usage(account.id, utc_day(time.time()))
    daily = None if limits.unlimited_executions else limits.executions_per_day
    return {
        "id": account.id,
        "name": account.name,
        "tier": account.tier.value,
        "credits": {
            "balance": account.balance,
            "reserved": from_micro(usage.reserved_micro),
            "available": from_micro(account.balance_micro - usage.reserved_micro),
        },
        "limits": {
            "executionsPerDay": daily,
            "requestsPerMinute": limits.requests_per_minute,
        },
        "usage": {
            "day": usage.day,
            "executions": usage.executions,
            "executionsRemaining": None if daily is None else max(0, daily - usage.executions),
            "creditsCharged": from_micro(usage.charged_micro),
            "running": usage.running,
        },
        "keyPrefix": caller.key.prefix,
        "callbackSigningSecret": account.callback_secret,
    }


@router.get(
    "/api/v1/account",
    response_model=AccountOut,
    responses=error_responses(*COMMON_ERRORS),
    summary="The caller's account",
)
async def get_account(state: State, caller: Caller) -> dict[str, Any]:
    """Tier, credit balance (posted, reserved, available) and today's usage."""
    return account_view(state, caller)


@router.get(
    "/api/v1/account/ledger",
    response_model=LedgerOut,
    responses=error_responses(*COMMON_ERRORS),
    summary="The account's ledger",
)
async def get_ledger(
    state: State, caller: Caller, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """The newest ledger lines: grants (+) and per-node charges (-)."""
    account = state.storage.get_account(caller.account.id) or caller.account
    entries = state.storage.ledger(account.id, limit)
    return {
        "balance": account.balance,
        "entries": [
            {
                "id": e.id,
                "amount": from_micro(e.amount_micro),
                "kind": e.kind,
                "createdAt": e.created_at,
                "executionId": e.execution_id,
                "nodeId": e.node_id,
                "note": e.note,
            }
            for e in entries
        ],
    }


@router.post(
    "/api/v1/account/callback-secret",
    response_model=AccountOut,
    responses=error_responses(*COMMON_ERRORS),
    summary="Rotate the callback signing secret",
)
async def rotate_callback_secret(state: State, caller: Caller) -> dict[str, Any]:
    """A new secret for signing callbacks; the old one stops being used at once."""
    state.storage.rotate_callback_secret(caller.account.id)
    return account_view(state, caller)


@router.get(
    "/api/v1/nodes",
    response_model=CatalogOut,
    responses=error_responses(*COMMON_ERRORS),
    summary="The node catalog",
    tags=["catalog"],
)
async def nodes(state: State, caller: Caller) -> dict[str, Any]:
    """Every node type this server runs: ports, parameters (JSON Schema) and pricing."""
    return state.catalog_export()


@router.get(
    "/api/v1/artifacts/{artifact_id}",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The file",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(*COMMON_ERRORS, 404),
    },
    summary="Download an artifact",
    tags=["artifacts"],
)
async def artifact(artifact_id: str, state: State, caller: Caller) -> FileResponse:
    """An output (or uploaded) file, only to the account whose runs made it."""
    if not _ARTIFACT_ID.match(artifact_id) or not state.runs.owns_artifact(
        caller.account.id, artifact_id
    ):
        raise NotFound(f"no artifact {artifact_id[:70]}", code="artifact_not_found")
    try:
        path = state.artifacts.path(artifact_id)
        described = state.artifacts.describe(artifact_id)
    except ArtifactNotFoundError:
        raise NotFound(f"no artifact {artifact_id}", code="artifact_not_found") from None
    return FileResponse(
        path,
        media_type=described.media_type,
        filename=described.filename or None,
        headers={
            "Cache-Control": "private, max-age=31536000, immutable",
            "ETag": f'"{artifact_id}"',
        },
        content_disposition_type="inline",
    )


@router.get("/healthz", response_model=Health, summary="Health check", tags=["meta"])
async def healthz() -> dict[str, Any]:
    """``{"status": "ok"}`` once the server accepts requests (no key needed)."""
    return {"status": "ok", "version": engine.__version__}
