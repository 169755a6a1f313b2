"""The server's node catalog: the built-in types and plugins.

(Files are kept out of reach by the engine: the server's executors confine every
path a node reads or writes to the account's scratch folder, see
:class:`engine.executor.Executor` ``confine_files``.)

Plugins: ``module:function`` names (``ServerSettings.extra_nodes`` or the
``PATCHBAY_EXTRA_NODES`` environment variable, comma-separated) are called with
the catalog and may register more node types.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import Any

from engine.catalog.registry import Catalog, CatalogEntry
from engine.catalog.spec import Category, NodeSpec
from engine.errors import PatchbayError
from engine.executor.plan import is_async_implementation
from engine.nodes import register_all
from engine.nodes.base import NodeContext, NodeImplementation, Outputs

EXTRA_NODES_ENV = "PATCHBAY_EXTRA_NODES"

_INLINE_CATEGORIES = frozenset({Category.INPUT, Category.TEXT, Category.UTILITY, Category.OUTPUT})
#: Built-in families only: a plugin's synchronous node may be slow.
_INLINE_FAMILIES = frozenset({"input", "text", "json", "math", "list", "output"})


class PluginError(PatchbayError):
    """A node plugin could not be imported or failed to register."""


def build_server_catalog(extra_nodes: Iterable[str] = ()) -> Catalog:
    """The built-in node types plus plugins; cheap built-ins run inline."""
    plain = Catalog()
    register_all(plain)
    for reference in extra_nodes:
        _load_plugin(reference)(plain)
    catalog = Catalog()
    for spec in plain:
        implementation = plain.entry(spec.type).implementation
        if _runs_inline(spec, implementation):
            implementation = _inline(implementation)
        catalog.add(CatalogEntry(spec, implementation))
    return catalog


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
