"""The server's node catalog: the built-in types, plugins, and a filesystem guard.

On a desktop a node may read any file the user names. On a shared server the
request comes from a tenant, so the server wraps every node type that names files
(a ``file`` parameter, or ``image.save``'s file name) with a guard: a path must stay
inside the run's own scratch directory, which starts empty. Images reach a server
run as uploads (webhook multipart) or as artifact references, never as paths.

Plugins: ``module:function`` names (``ServerSettings.extra_nodes`` or the
``PATCHBAY_EXTRA_NODES`` environment variable, comma-separated) are called with
the catalog and may register more node types.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from engine.catalog.registry import Catalog, CatalogEntry
from engine.catalog.spec import Category, NodeSpec, ParamKind
from engine.errors import PatchbayError, PermanentNodeError
from engine.executor.plan import is_async_implementation
from engine.nodes import register_all
from engine.nodes.base import NodeContext, NodeImplementation, Outputs

EXTRA_NODES_ENV = "PATCHBAY_EXTRA_NODES"

_INLINE_CATEGORIES = frozenset({Category.INPUT, Category.TEXT, Category.UTILITY, Category.OUTPUT})
#: Built-in families only: a plugin's synchronous node may be slow.
_INLINE_FAMILIES = frozenset({"input", "text", "json", "math", "list", "output"})

#: Parameters that name a file to write, by node type (besides ``file`` parameters).
_WRITTEN_FILES: dict[str, tuple[str, ...]] = {"image.save": ("filename",)}


class PluginError(PatchbayError):
    """A node plugin could not be imported or failed to register."""


def build_server_catalog(extra_nodes: Iterable[str] = ()) -> Catalog:
    """The built-in node types plus plugins, each file-naming type guarded."""
    plain = Catalog()
    register_all(plain)
    for reference in extra_nodes:
        _load_plugin(reference)(plain)
    guarded = Catalog()
    for spec in plain:
        implementation = _guard(spec, plain.entry(spec.type).implementation)
        if _runs_inline(spec, implementation):
            implementation = _inline(implementation)
        guarded.add(CatalogEntry(spec, implementation))
    return guarded


def _runs_inline(spec: NodeSpec, implementation: NodeImplementation) -> bool:
    """Whether a node is cheap enough to run on the event loop itself.

    The engine runs synchronous implementations in a worker thread so CPU-bound
    work (Pillow) never blocks the loop. The built-in text, data, input and output
    nodes take microseconds (their inputs are bounded by the request size limits
    and ``math.expression`` bounds its numbers), so on a server, where a thread
    hop per node is a large part of a small run's cost, they run inline.
    """
    return (
        spec.provider == "local"
        and spec.category in _INLINE_CATEGORIES
        and spec.type.split(".")[0] in _INLINE_FAMILIES
        and not is_async_implementation(implementation)
    )


def _inline(implementation: NodeImplementation) -> NodeImplementation:
    async def inline(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
        result = implementation(ctx, inputs)
        assert isinstance(result, Mapping)
        return result

    return inline


def parse_extra_nodes(value: str | None) -> tuple[str, ...]:
    """``"a.b:f, c:g"`` as ``("a.b:f", "c:g")``."""
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _load_plugin(reference: str) -> Any:
    module_name, _, function_name = reference.partition(":")
    if not module_name or not function_name:
        raise PluginError(f"node plugin {reference!r} must look like 'module:function'")
    try:
        module = importlib.import_module(module_name)
        function = getattr(module, function_name)
    except (ImportError, AttributeError) as exc:
        raise PluginError(f"cannot load node plugin {reference!r}: {exc}") from exc
    if not callable(function):
        raise PluginError(f"node plugin {reference!r} is not callable")
    return function


def _guard(spec: NodeSpec, implementation: NodeImplementation) -> NodeImplementation:
    names = tuple(p.name for p in spec.params if p.kind == ParamKind.FILE)
    names += _WRITTEN_FILES.get(spec.type, ())
    reads_run_input = spec.type == "input.image"
    if not names and not reads_run_input:
        return implementation

    def check(ctx: NodeContext, inputs: dict[str, Any]) -> None:
        for name in names:
            value = inputs.get(name)
            _check_path(ctx, name, ctx.params.get(name) if value is None else value)
        if reads_run_input:
            from engine.nodes.inputs import input_name

            _check_path(ctx, "input", ctx.run_inputs.get(input_name(ctx.node_id, ctx.params)))

    if is_async_implementation(implementation):

        async def guarded(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            check(ctx, inputs)
            result = implementation(ctx, inputs)
            return await result if inspect.isawaitable(result) else result

        return guarded

    # Synchronous (CPU-bound) implementations stay synchronous: they run in a thread.
    def guarded_sync(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
        check(ctx, inputs)
        result = implementation(ctx, inputs)
        assert isinstance(result, Mapping)
        return result

    return guarded_sync


def _check_path(ctx: NodeContext, name: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        return
    sandbox = ctx.base_dir.resolve()
    target = Path(value.strip()).expanduser()
    resolved = (target if target.is_absolute() else sandbox / target).resolve()
    if not resolved.is_relative_to(sandbox):
        raise PermanentNodeError(
            f"{name}: the server does not read or write files by path ({value!r}); "
            "send images as uploads or artifact references instead",
            details={"field": name},
        )
