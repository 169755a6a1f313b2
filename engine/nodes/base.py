"""The interface every node implementation follows.

An implementation is a callable ``(context, inputs) -> outputs``, sync or async.
``inputs`` maps input port names to values (wired values, else ``data[name]``);
it returns a mapping of output port names to values. Synchronous implementations
(CPU-bound Pillow work) run in a worker thread so they never block the event loop.
Failures are raised as :class:`engine.errors.NodeError` subclasses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.artifacts import ArtifactStore
from engine.errors import PermanentNodeError


class ProgressCallback(Protocol):
    def __call__(self, fraction: float, message: str | None = None) -> None: ...


def _ignore_progress(fraction: float, message: str | None = None) -> None:
    return None


@dataclass(slots=True)
class NodeContext:
    """What a node implementation may use while it runs (read-only by contract).

    Not ``frozen``: the executor builds one per node run on its hot path, and a
    frozen dataclass sets each field through ``object.__setattr__`` (about four
    times slower); see docs/performance.md.

    ``params`` are the node's validated parameters with defaults filled in.
    ``base_dir`` resolves relative file paths (the workflow file's folder).
    ``output_dir`` is where nodes that write files for the user (``image.save``)
    put them when given a relative path. ``run_inputs`` are the run's inputs
    (``name -> value``), read by ``input.*`` nodes. ``preview`` asks hosted nodes
    for an offline stand-in output. ``confined`` (set by the server, which runs
    other people's workflows) keeps every file a node reads inside ``base_dir`` and
    every file it writes inside ``output_dir``.
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
    confined: bool = False

    def resolve_path(self, value: str) -> Path:
        """A user-supplied path to read, relative to the workflow's folder."""
        return self._place(value, self.base_dir, "read")

    def output_path(self, value: str) -> Path:
        """A user-supplied path to write, relative to the output folder."""
        return self._place(value, self.output_dir, "write")

    def _place(self, value: str, root: Path, verb: str) -> Path:
        path = Path(value) if self.confined else Path(value).expanduser()
        path = path if path.is_absolute() else root / path
        if self.confined and not path.resolve().is_relative_to(root.resolve()):
            raise PermanentNodeError(
                f"cannot {verb} {value!r}: on this server nodes may only {verb} files "
                f"inside the workflow's own folder"
            )
        return path

    def existing_file(self, value: str) -> Path:
        """A user-supplied path that must name a readable file."""
        if not value:
            raise PermanentNodeError("no file was chosen")
        path = self.resolve_path(value)
        if not path.is_file():
            raise PermanentNodeError(f"file not found: {path}")
        return path


Outputs = Mapping[str, Any]
NodeImplementation = Callable[[NodeContext, dict[str, Any]], Outputs | Awaitable[Outputs]]
