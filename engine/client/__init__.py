"""The async Python client of a Patchbay server's REST API (docs/api.md).

Used by the app (remote runs, publishing, opening server workflows) and by
scripts::

    async with PatchbayClient("http://127.0.0.1:8000", api_key) as client:
        stored = await client.create_workflow(workflow)
        accepted = await client.execute(stored.id, inputs={"brief": "a red sneaker"})
        record = await client.follow(accepted.execution_id, on_event=print)

Pure engine code (httpx and pydantic, no Qt). Retries, backoff and idempotency
are described in :mod:`engine.client.http`; errors in :mod:`engine.client.errors`.
"""

from __future__ import annotations

from engine.client.client import PatchbayClient, normalise_base_url, run_body
from engine.client.errors import (
    ApiError,
    AuthenticationFailed,
    ClientError,
    ConflictError,
    InsufficientCredits,
    InvalidRequest,
    NotFoundError,
    ProtocolError,
    RateLimited,
    ServerError,
    ServerUnreachable,
    StreamInterrupted,
)
from engine.client.events import event_from_json
from engine.client.models import (
    Accepted,
    Account,
    AccountCredits,
    AccountUsage,
    ClientRetry,
    CreditLine,
    Estimate,
    PollNode,
    PollStatus,
    Publication,
    StoredWorkflow,
    WaitNotice,
    WaitReason,
    WebhookState,
    WorkflowPage,
    WorkflowSummary,
)

__all__ = [
    "Accepted",
    "Account",
    "AccountCredits",
    "AccountUsage",
    "ApiError",
    "AuthenticationFailed",
    "ClientError",
    "ClientRetry",
    "ConflictError",
    "CreditLine",
    "Estimate",
    "InsufficientCredits",
    "InvalidRequest",
    "NotFoundError",
    "PatchbayClient",
    "PollNode",
    "PollStatus",
    "ProtocolError",
    "Publication",
    "RateLimited",
    "ServerError",
    "ServerUnreachable",
    "StoredWorkflow",
    "StreamInterrupted",
    "WaitNotice",
    "WaitReason",
    "WebhookState",
    "WorkflowPage",
    "WorkflowSummary",
    "event_from_json",
    "normalise_base_url",
    "run_body",
]
