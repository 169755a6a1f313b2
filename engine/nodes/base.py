"""The interface every node implementation follows.

An implementation is a callable ``(context, inputs) -> outputs``, sync or async.
``inputs`` maps input port names to values (wired values, else ``data[name]``);
it returns a mapping of output port names to values. Synchronous implementations
(CPU-bound Pillow work) run in a worker thread so they never block the event loop.
Failures are raised as :class:`engine.errors.NodeError` subclasses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from engine.artifacts import ArtifactStore
from engine.errors import PermanentNodeError


class ProgressCallback(Protocol):
    def __call__(self, fraction: float, message: str | None = None) -> None: ...


def _ignore_progress(fraction: float, message: str | None = None) -> None:
    return None


@dataclass(frozen=True, slots=True)
class NodeContext:
    """What a node implementation may use while it runs.

    ``params`` are the node's validated parameters with defaults filled in.
    ``base_dir`` resolves relative file paths (the workflow file's folder).
    ``output_dir`` is where nodes that write files for the user (``image.save``)
    put them when given a relative path. ``run_inputs`` are the run's inputs
    (``name -> value``), read by ``input.*`` nodes. ``preview`` asks hosted nodes
    for an offline stand-in output.
    """

    node_id: str
    node_type: str
    params: Mapping[str, Any]
    artifacts: ArtifactStore
    base_dir: Path = field(default_factory=Path.cwd)
    output_dir: Path = field(default_factory=Path.cwd)
    run_inputs: Mapping[str, Any] = field(default_factory=dict)
    preview: bool = False
    item_index: int | None = None
    report_progress: ProgressCallback = _ignore_progress

    # Written out rather than generated: a frozen dataclass's __init__ sets each field
    # through object.__setattr__, and the executor builds one context per node run.
    # Same signature and behaviour as the generated one.
    def __init__(
        self,
        node_id: str,
        node_type: str,
        params: Mapping[str, Any],
        artifacts: ArtifactStore,
        base_dir: Path | None = None,
        output_dir: Path | None = None,
        run_inputs: Mapping[str, Any] | None = None,
        preview: bool = False,
        item_index: int | None = None,
        report_progress: ProgressCallback = _ignore_progress,
    ) -> None:
        _set_node_id(self, node_id)
        _set_node_type(self, node_type)
        _set_params(self, params)
        _set_artifacts(self, artifacts)
        _set_base_dir(self, Path.cwd() if base_dir is None else base_dir)
        _set_output_dir(self, Path.cwd() if output_dir is None else output_dir)
        _set_run_inputs(self, {} if run_inputs is None else run_inputs)
        _set_preview(self, preview)
        _set_item_index(self, item_index)
        _set_report_progress(self, report_progress)

    def resolve_path(self, value: str) -> Path:
        """A user-supplied path, relative to the workflow's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def existing_file(self, value: str) -> Path:
        """A user-supplied path that must name a readable file."""
        if not value:
            raise PermanentNodeError("no file was chosen")
        path = self.resolve_path(value)
        if not path.is_file():
            raise PermanentNodeError(f"file not found: {path}")
        return path


def _setter(name: str) -> Callable[[NodeContext, Any], None]:
    setter: Callable[[NodeContext, Any], None] = vars(NodeContext)[name].__set__  # slot descriptor
    return setter


_set_node_id = _setter("node_id")
_set_node_type = _setter("node_type")
_set_params = _setter("params")
_set_artifacts = _setter("artifacts")
_set_base_dir = _setter("base_dir")
_set_output_dir = _setter("output_dir")
_set_run_inputs = _setter("run_inputs")
_set_preview = _setter("preview")
_set_item_index = _setter("item_index")
_set_report_progress = _setter("report_progress")
# The hand-written __init__ must set every field, and only fields.
assert [f.name for f in fields(NodeContext)] == [
    "node_id", "node_type", "params", "artifacts", "base_dir", "output_dir", "run_inputs",
    "preview", "item_index", "report_progress",
]  # fmt: skip

Outputs = Mapping[str, Any]
NodeImplementation = Callable[[NodeContext, dict[str, Any]], Outputs | Awaitable[Outputs]]
