"""The workflow document (schemaVersion 1): models, file load/save and migrations.

One JSON format everywhere: the file the app saves (``*.patchbay.json``), the body
the API accepts and the document the server stores. The models here only describe
its *shape*; :func:`engine.validation.validate` checks its meaning against the
catalog and reports every problem at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import WorkflowFileError

SCHEMA_VERSION = 1
FILE_SUFFIX = ".patchbay.json"


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class Position(_Model):
    """Where a node sits on the canvas, in scene coordinates."""

    x: float = 0.0
    y: float = 0.0


class Node(_Model):
    """One node: an instance of a catalog type with its parameters in ``data``."""

    id: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    label: str | None = None
    position: Position = Field(default_factory=Position)
    data: dict[str, Any] = Field(default_factory=dict)


class Edge(_Model):
    """A wire from an output port of one node to an input port of another."""

    id: str = Field(min_length=1, max_length=200)
    source: str
    source_handle: str = Field(alias="sourceHandle")
    target: str
    target_handle: str = Field(alias="targetHandle")


class Workflow(_Model):
    """A whole pipeline. ``metadata`` holds editor state (groups, viewport)."""

    schema_version: int = Field(default=SCHEMA_VERSION, alias="schemaVersion")
    name: str = "Untitled"
    description: str | None = None
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    def node(self, node_id: str) -> Node:
        """Return the node with this id (``KeyError`` when absent)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def to_json_dict(self) -> dict[str, Any]:
        """The document as plain JSON data, in the file's key spelling."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self) -> str:
        """The document as the text written to ``*.patchbay.json`` files."""
        return json.dumps(self.to_json_dict(), indent=2, ensure_ascii=False) + "\n"


Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _migrate_v0(document: dict[str, Any]) -> dict[str, Any]:
    """Version 0: hand-written prototypes without ``schemaVersion`` or edge ids."""
    migrated = dict(document)
    edges = []
    for index, edge in enumerate(migrated.get("edges") or []):
        if isinstance(edge, dict) and "id" not in edge:
            edge = {"id": f"e{index + 1}", **edge}
        edges.append(edge)
    migrated["edges"] = edges
    migrated["schemaVersion"] = 1
    return migrated


#: ``MIGRATIONS[n]`` turns a version-``n`` document into a version-``n + 1`` one.
MIGRATIONS: dict[int, Migration] = {0: _migrate_v0}


class LoadedWorkflow(BaseModel):
    """A workflow read from disk, with what the loader had to change to read it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    workflow: Workflow
    migrated_from: int | None = None

    @property
    def notes(self) -> list[str]:
        """Human-readable remarks about the load (shown by the CLI and the app)."""
        if self.migrated_from is None:
            return []
        return [
            f"migrated from schemaVersion {self.migrated_from} to {SCHEMA_VERSION}; "
            "saving writes the new version"
        ]


def migrate(document: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """Bring a raw document up to :data:`SCHEMA_VERSION`.

    Returns the migrated document and the version it started from (``None`` when
    it was already current). Raises :class:`WorkflowFileError` for a version that
    is newer than this build or has no migration path.
    """
    version = document.get("schemaVersion", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise WorkflowFileError(f"schemaVersion must be an integer, not {version!r}")
    if version > SCHEMA_VERSION:
        raise WorkflowFileError(
            f"this file has schemaVersion {version}, newer than this Patchbay "
            f"understands ({SCHEMA_VERSION}); update Patchbay to open it"
        )
    start = version
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise WorkflowFileError(f"no migration from schemaVersion {version}")
        document = step(document)
        version += 1
    return document, (start if start != SCHEMA_VERSION else None)


def parse_workflow(document: Any) -> LoadedWorkflow:
    """Migrate and parse raw JSON data; raises :class:`WorkflowFileError` if malformed."""
    if not isinstance(document, dict):
        raise WorkflowFileError("a workflow document must be a JSON object")
    migrated, start = migrate(document)
    try:
        workflow = Workflow.model_validate(migrated)
    except ValidationError as exc:
        raise WorkflowFileError(_describe_validation_error(exc)) from exc
    return LoadedWorkflow(workflow=workflow, migrated_from=start)


def read_document(path: str | Path) -> Any:
    """Read a file's raw JSON (not yet migrated or checked)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkflowFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise WorkflowFileError(f"{path} is not a text file (not UTF-8)") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowFileError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc


def load_workflow(path: str | Path) -> LoadedWorkflow:
    """Read a ``*.patchbay.json`` file."""
    return parse_workflow(read_document(path))


def save_workflow(workflow: Workflow, path: str | Path) -> None:
    """Write a workflow atomically (a crash mid-write never leaves half a file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(workflow.to_json(), encoding="utf-8")
    tmp.replace(path)


def workflow_json_schema() -> dict[str, Any]:
    """JSON Schema of the file format (``patchbay schema``, ``docs/workflow.schema.json``)."""
    schema = Workflow.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Patchbay workflow (schemaVersion 1)"
    return schema


def _describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "document"
        parts.append(f"{where}: {error['msg']}")
    more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return "malformed workflow: " + "; ".join(parts) + more
