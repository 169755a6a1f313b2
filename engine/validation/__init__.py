"""The workflow validator shared by the CLI, the app and the server (DESIGN §2).

:func:`validate` returns every problem of a workflow at once, as
:class:`Violation` records, and never raises, whatever it is given: the editor
re-validates on each edit and the server validates untrusted request bodies.

What it checks, in the order violations are reported:

1. the document: a JSON object of a supported ``schemaVersion`` (an unsupported
   version stops here, since the rest of the file cannot be interpreted), its
   shape (one ``invalid_document`` per problem, ``field`` being the JSON path),
   and the node and edge limits;
2. each node, in document order: duplicate id, ``data`` nesting, unknown type,
   parameters (type, range, choices, required, unknown keys as warnings) and
   required inputs that are neither wired nor set;
3. each edge, in document order: duplicate id, unknown nodes and ports, port type
   mismatches, a second wire into a single-value input;
4. loops, one per set of nodes that reach each other, with a path through it.

A document that fails the shape check is still checked as far as it can be: the
nodes and edges whose fields have the right types go through steps 2 to 4.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from engine.catalog.registry import Catalog, default_catalog
from engine.errors import InvalidWorkflowError, WorkflowFileError
from engine.validation.checks import Checker
from engine.validation.document import (
    records_from_raw,
    records_from_workflow,
    shape_violations,
)
from engine.validation.hints import Hinter
from engine.validation.violations import (
    MAX_DATA_DEPTH,
    MAX_EDGES,
    MAX_NODES,
    Severity,
    Violation,
    ViolationCode,
)
from engine.workflow import SCHEMA_VERSION, Workflow, migrate

__all__ = [
    "MAX_DATA_DEPTH",
    "MAX_EDGES",
    "MAX_NODES",
    "Severity",
    "Violation",
    "ViolationCode",
    "check_workflow",
    "is_valid",
    "validate",
]

_log = logging.getLogger(__name__)


def validate(
    document: Workflow | Mapping[str, Any] | Any, catalog: Catalog | None = None
) -> list[Violation]:
    """Every violation of ``document`` (a :class:`Workflow` or raw JSON data).

    ``catalog`` defaults to :func:`engine.catalog.default_catalog`. Raw documents
    are migrated to the current ``schemaVersion`` first. Never raises because of
    the document: a failure of the validator itself is logged and reported as an
    ``internal_error`` violation.
    """
    return _validate(document, catalog)[0]


def is_valid(violations: Iterable[Violation]) -> bool:
    """Whether none of ``violations`` is an error (warnings are allowed)."""
    return not any(v.severity == Severity.ERROR for v in violations)


def check_workflow(
    document: Workflow | Mapping[str, Any] | Any, catalog: Catalog | None = None
) -> Workflow:
    """The parsed workflow, or :class:`InvalidWorkflowError` listing every violation.

    The error's ``violations`` holds the errors first, then any warnings.
    """
    violations, workflow = _validate(document, catalog)
    if workflow is None or not is_valid(violations):
        errors = [v for v in violations if v.is_error]
        raise InvalidWorkflowError(errors + [v for v in violations if not v.is_error])
    return workflow


def _validate(document: Any, catalog: Catalog | None) -> tuple[list[Violation], Workflow | None]:
    # Outside the guard: a catalog that cannot be built is a broken install, not a
    # problem with this document, and must not pass for one.
    catalog = catalog if catalog is not None else default_catalog()
    try:
        return _run(document, catalog)
    except Exception as exc:  # the one promise: callers get data, never a traceback
        _log.exception("the workflow validator failed")
        return [
            Violation(
                code=ViolationCode.INTERNAL_ERROR,
                message=f"the validator could not check this workflow ({type(exc).__name__})",
                hint="this is a bug in Patchbay; please report it with the workflow file",
            )
        ], None


def _run(document: Any, catalog: Catalog) -> tuple[list[Violation], Workflow | None]:
    hinter = Hinter()
    found: list[Violation] = []
    workflow: Workflow | None = None
    if isinstance(document, Workflow):
        version_problem = _check_version(document.schema_version)
        if version_problem is not None:
            return [version_problem], None
        workflow = document
        nodes, edges = records_from_workflow(workflow)
    elif isinstance(document, Mapping):
        raw = dict(document)
        version_problem = _check_version(raw.get("schemaVersion", SCHEMA_VERSION))
        if version_problem is not None:
            return [version_problem], None
        try:
            raw, _ = migrate(raw)
        except WorkflowFileError as exc:
            return [_version_violation(str(exc), raw.get("schemaVersion"))], None
        except Exception:
            # A migration step tripping over garbage (``"edges": 5``): check the
            # document as it is; the shape check reports what is wrong with it.
            raw = dict(document)
        try:
            workflow = Workflow.model_validate(raw)
        except ValidationError as exc:
            found.extend(shape_violations(exc, raw, hinter))
            nodes, edges = records_from_raw(raw)
        else:
            nodes, edges = records_from_workflow(workflow)
    else:
        return [
            Violation(
                code=ViolationCode.INVALID_DOCUMENT,
                message=f"a workflow must be a JSON object, not {_json_kind(document)}",
                hint='start from {"schemaVersion": 1, "nodes": [], "edges": []}',
            )
        ], None
    found.extend(_limits(len(nodes), len(edges)))
    found.extend(Checker(catalog, hinter, nodes, edges).run())
    return found, workflow


def _limits(node_count: int, edge_count: int) -> list[Violation]:
    found = []
    if node_count > MAX_NODES:
        found.append(
            Violation(
                code=ViolationCode.TOO_MANY_NODES,
                message=f"the workflow has {node_count} nodes; at most {MAX_NODES} are allowed",
                field="nodes",
                hint="split it into smaller workflows",
            )
        )
    if edge_count > MAX_EDGES:
        found.append(
            Violation(
                code=ViolationCode.TOO_MANY_EDGES,
                message=f"the workflow has {edge_count} edges; at most {MAX_EDGES} are allowed",
                field="edges",
                hint="split it into smaller workflows",
            )
        )
    return found


def _check_version(version: Any) -> Violation | None:
    """Refuse a ``schemaVersion`` the migrations cannot start from (before running them)."""
    if isinstance(version, bool) or not isinstance(version, int):
        return _version_violation(f"schemaVersion must be an integer, not {_json_kind(version)}")
    if version > SCHEMA_VERSION:
        newer = f"schemaVersion {version}" if version < 10**9 else "a much newer schemaVersion"
        return _version_violation(
            f"this file has {newer}; this Patchbay understands up to {SCHEMA_VERSION}", version
        )
    if version < 0:
        return _version_violation("schemaVersion cannot be negative")
    return None


def _version_violation(message: str, version: Any = None) -> Violation:
    newer = isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION
    return Violation(
        code=ViolationCode.UNSUPPORTED_SCHEMA_VERSION,
        message=message,
        field="schemaVersion",
        hint="update Patchbay to open this file"
        if newer
        else f"set schemaVersion to {SCHEMA_VERSION}",
    )


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"
