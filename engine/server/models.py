"""Request and response bodies of the REST API (camelCase on the wire).

These models are what ``/openapi.json`` publishes; the routes return plain dicts
that FastAPI checks against them. Records produced by the engine (executions,
nodes, outputs) allow extra keys so that the engine can grow without breaking the
schema.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from engine.server.errors import CreditLine


class _Api(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class _Open(_Api):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


# --- workflows -------------------------------------------------------------------------


class ViolationOut(_Open):
    """One validation problem (see ``engine.validation.Violation``)."""

    code: str
    message: str
    severity: str = "error"
    node_id: str | None = None
    edge_id: str | None = None
    field: str | None = None
    hint: str | None = None


class WorkflowSummary(_Api):
    """A stored workflow without its document."""

    id: str
    name: str
    version: int
    created_at: float
    updated_at: float
    node_count: int
    edge_count: int
    published: bool
    webhook_id: str | None = None
    webhook_url: str | None = None


class WorkflowOut(WorkflowSummary):
    """A stored workflow with its document and the validator's warnings."""

    workflow: dict[str, Any]
    warnings: list[ViolationOut] = Field(default_factory=list)


class WorkflowPage(_Api):
    """One page of ``GET /api/v1/workflows``."""

    items: list[WorkflowSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None = None


class Deleted(_Api):
    """Answer to a DELETE."""

    id: str
    deleted: bool


# --- execution -------------------------------------------------------------------------


class ExecuteRequest(_Api):
    """Body of ``execute`` and ``estimate`` (every field optional).

    ``nodes`` and ``edges`` replace the stored ones for this run only (an unsaved
    edit). ``targetNodeId`` makes a partial run: ``scope`` ``from_node`` (default;
    "run from here") or ``only_node`` ("run only this node and what it needs").
    ``callbackUrl`` receives the final record, signed, when the run ends.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    inputs: dict[str, Any] = Field(default_factory=dict)
    nodes: list[Any] | None = None
    edges: list[Any] | None = None
    target_node_id: str | None = Field(default=None, min_length=1, max_length=200)
    scope: Literal["all", "from_node", "only_node"] | None = None
    use_cache: bool = True
    preview: bool = False
    callback_url: str | None = Field(default=None, min_length=1, max_length=2048)


class ExecutionAccepted(_Api):
    """201 answer of ``execute`` (202 of a webhook trigger)."""

    execution_id: str
    status: str
    poll_url: str
    events_url: str
    record_url: str
    estimated_credits: float


class EstimateOut(_Api):
    """Answer of ``estimate``."""

    required_credits: float
    available_credits: float
    sufficient: bool
    preview: bool
    breakdown: list[CreditLine]


class NodeErrorOut(_Open):
    """Why a node failed."""

    kind: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class PollNode(_Api):
    """One node in a poll answer."""

    node_id: str
    status: str
    progress: float | None = None
    error: NodeErrorOut | None = None


class PollOut(_Api):
    """Answer of ``poll``: RUNNING until COMPLETED, FAILED or CANCELLED."""

    execution_id: str
    status: str
    progress: float
    nodes: list[PollNode]
    outputs: dict[str, Any] | None = None
    error: str | None = None


class NodeRecordOut(_Open):
    """One node of the full record."""

    node_id: str
    label: str
    type: str
    status: str
    started_at: float | None = None
    finished_at: float | None = None
    duration_ms: float | None = None
    credits: float = 0.0
    attempts: int = 0
    outputs: dict[str, Any] | None = None
    error: NodeErrorOut | None = None


class ExecutionRecordOut(_Open):
    """The full record of an execution."""

    execution_id: str
    workflow_id: str
    workflow_name: str
    status: str
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    duration_ms: float | None = None
    credits: float = 0.0
    estimated_credits: float = 0.0
    progress: float = 0.0
    outputs: dict[str, Any] = Field(default_factory=dict)
    nodes: list[NodeRecordOut]
    error: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    trigger: Literal["api", "webhook"] = "api"
    callback: dict[str, Any] | None = None


class CancelOut(_Api):
    """Answer of ``cancel``."""

    execution_id: str
    status: str


# --- publishing ------------------------------------------------------------------------


class PublishRequest(_Api):
    """Body of ``publish`` (optional). ``signed``: require signed trigger requests."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    signed: bool = False


class PublishOut(_Api):
    """Answer of ``publish``; ``signingSecret`` is shown only here, once."""

    workflow_id: str
    webhook_id: str
    webhook_url: str
    signed: bool
    signing_secret: str | None = None


class Unpublished(_Api):
    """Answer of ``DELETE .../publish``."""

    workflow_id: str
    published: bool


class WebhookStatus(_Api):
    """Answer of ``GET /workflow/{webhookId}/trigger``."""

    webhook_id: str
    active: bool
    signed: bool


# --- account ---------------------------------------------------------------------------


class CreditsOut(_Api):
    """An account's credits: posted balance, held by running executions, available."""

    balance: float
    reserved: float
    available: float


class LimitsOut(_Api):
    """The account's tier limits (``None``: unlimited)."""

    executions_per_day: int | None
    requests_per_minute: int


class UsageOut(_Api):
    """Today's usage (UTC day)."""

    day: str
    executions: int
    executions_remaining: int | None
    credits_charged: float
    running: int


class AccountOut(_Api):
    """Answer of ``GET /api/v1/account``."""

    id: str
    name: str
    tier: str
    credits: CreditsOut
    limits: LimitsOut
    usage: UsageOut
    key_prefix: str
    callback_signing_secret: str


class LedgerLine(_Api):
    """One ledger line: positive amounts add credits, negative ones are charges."""

    id: int
    amount: float
    kind: str
    created_at: float
    execution_id: str | None = None
    node_id: str | None = None
    note: str | None = None


class LedgerOut(_Api):
    """Answer of ``GET /api/v1/account/ledger`` (newest first)."""

    balance: float
    entries: list[LedgerLine]


class Health(_Api):
    """Answer of ``GET /healthz``."""

    status: Literal["ok"]
    version: str


class CatalogOut(_Open):
    """The node catalog (``engine.catalog.Catalog.export``)."""

    count: int
    categories: dict[str, int]
    nodes: list[dict[str, Any]]
