"""What the validator reports: violation codes, severities and the record itself."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: At most this many nodes in one workflow.
MAX_NODES = 100
#: At most this many edges in one workflow.
MAX_EDGES = 500
#: A node's ``data`` object counts as level 1; each object or list inside adds one.
MAX_DATA_DEPTH = 10


class ViolationCode(StrEnum):
    """A stable, machine-readable name for each kind of problem."""

    INVALID_DOCUMENT = "invalid_document"
    UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
    TOO_MANY_NODES = "too_many_nodes"
    TOO_MANY_EDGES = "too_many_edges"
    DATA_TOO_DEEP = "data_too_deep"
    DUPLICATE_NODE_ID = "duplicate_node_id"
    DUPLICATE_EDGE_ID = "duplicate_edge_id"
    UNKNOWN_NODE_TYPE = "unknown_node_type"
    UNKNOWN_NODE = "unknown_node"
    UNKNOWN_PORT = "unknown_port"
    PORT_TYPE_MISMATCH = "port_type_mismatch"
    INPUT_ALREADY_CONNECTED = "input_already_connected"
    CYCLE = "cycle"
    REQUIRED_INPUT_MISSING = "required_input_missing"
    REQUIRED_PARAM_MISSING = "required_param_missing"
    PARAM_WRONG_TYPE = "param_wrong_type"
    PARAM_OUT_OF_RANGE = "param_out_of_range"
    PARAM_NOT_IN_ENUM = "param_not_in_enum"
    UNKNOWN_PARAM = "unknown_param"
    #: The validator itself failed on this document (a bug; never a user mistake).
    INTERNAL_ERROR = "internal_error"


class Severity(StrEnum):
    """Errors make a workflow invalid; warnings are shown but do not block a run."""

    ERROR = "error"
    WARNING = "warning"


class Violation(BaseModel):
    """One problem found in a workflow.

    ``field`` names where in the node or edge the problem is (a parameter or port
    name, ``sourceHandle``…) or, for shape problems, the JSON path in the document
    (``nodes[2].position.x``). ``path`` lists the node ids of a cycle, first id
    repeated at the end. ``hint`` suggests the fix.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    code: ViolationCode
    message: str
    severity: Severity = Severity.ERROR
    node_id: str | None = Field(default=None, alias="nodeId")
    edge_id: str | None = Field(default=None, alias="edgeId")
    field: str | None = None
    hint: str | None = None
    path: tuple[str, ...] | None = None

    @property
    def is_error(self) -> bool:
        """Whether this violation makes the workflow invalid."""
        return self.severity == Severity.ERROR

    def to_json(self) -> dict[str, Any]:
        """JSON data in the API's spelling (``nodeId``, ``edgeId``), without nulls."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def __str__(self) -> str:
        text = f"{self.severity.value}: {self.message} [{self.code.value}]"
        return f"{text}\n  hint: {self.hint}" if self.hint else text
