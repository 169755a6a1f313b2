"""Turn a workflow into an execution plan: resolved nodes, wires, order and scope.

Every run is planned before anything executes; :class:`PlanCache` reuses the plan
of an unchanged workflow (plans are read-only, so runs can share one). The
workflow is assumed to have passed :mod:`engine.validation`; planning still
refuses, with a clear error, what it cannot execute at all (unknown node types,
dangling edges, cycles, an unknown target node or run input).
"""

from __future__ import annotations

import copy
import inspect
import json
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from engine.catalog.registry import Catalog
from engine.catalog.spec import NodeSpec, ParamKind, PortSpec, PricingUnit
from engine.errors import InputError, PatchbayError, UnknownNodeTypeError
from engine.executor.options import RunScope
from engine.nodes.base import NodeImplementation
from engine.workflow import Edge, Node, Workflow

INPUT_PREFIX = "input."
OUTPUT_PREFIX = "output."


class PlanError(PatchbayError):
    """The workflow cannot be executed as drawn (dangling edge, cycle, bad target)."""


class Wire(NamedTuple):
    """Every wire into one input port, in edge order."""

    port: str
    sources: tuple[tuple[str, str], ...]  # (source node id, source port)
    is_list: bool
    required: bool


@dataclass(frozen=True, slots=True)
class NodeType:
    """What planning and running need from a catalog entry, computed once per type."""

    spec: NodeSpec
    name: str
    implementation: NodeImplementation
    is_async: bool
    defaults: dict[str, Any]  # parameter defaults (``None`` defaults left out)
    inputs: dict[str, PortSpec]
    outputs: frozenset[str]
    required: tuple[str, ...]  # required input ports, wired or not
    item_ports: tuple[str, ...]  # inputs that take one item (a batch fans the node out)
    list_outputs: tuple[str, ...]  # outputs that always carry a batch
    file_params: tuple[str, ...]  # params naming files (their stamps join the fingerprint)
    hosted: bool
    free: bool  # pricing is FREE
    is_input: bool  # an ``input.*`` node
    is_output: bool  # an ``output.*`` node

    @classmethod
    def of(cls, spec: NodeSpec, implementation: NodeImplementation) -> NodeType:
        return cls(
            spec=spec,
            name=spec.type,
            implementation=implementation,
            defaults=spec.resolved_params({}),
            is_async=is_async_implementation(implementation),
            inputs={p.name: p for p in spec.inputs},
            outputs=frozenset(p.name for p in spec.outputs),
            required=tuple(p.name for p in spec.inputs if p.required),
            item_ports=tuple(p.name for p in spec.inputs if not p.is_list),
            list_outputs=tuple(p.name for p in spec.outputs if p.is_list),
            file_params=tuple(p.name for p in spec.params if p.kind == ParamKind.FILE),
            hosted=spec.provider != "local",
            free=spec.pricing.unit == PricingUnit.FREE,
            is_input=spec.type.startswith(INPUT_PREFIX),
            is_output=spec.type.startswith(OUTPUT_PREFIX),
        )

    def resolved_params(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with every parameter's default filled in (a new dict)."""
        return {**self.defaults, **data} if self.defaults else dict(data)


@dataclass(slots=True)
class PlannedNode:
    """A node ready to execute: its type, parameters and wiring (read-only)."""

    node: Node
    node_id: str
    type_name: str
    type: NodeType
    params: dict[str, Any]
    wires: tuple[Wire, ...]
    constants: dict[str, Any]  # unwired inputs taken from ``data``
    parents: tuple[str, ...]
    children: tuple[str, ...]
    forced: bool  # ignore the cache for this node
    input_key: str | None  # the run input an ``input.*`` node reads

    @property
    def spec(self) -> NodeSpec:
        return self.type.spec

    @property
    def label(self) -> str:
        return self.node.label or self.type.spec.display_name


EdgeKey = tuple[str, str, str, str]  # source, source port, target, target port
Links = dict[str, tuple[str, ...]]


class TopologyNode(NamedTuple):
    """One node of a :class:`Topology`."""

    node_id: str
    position: int  # in ``workflow.nodes``
    type: NodeType
    wires: tuple[Wire, ...]
    wired: frozenset[str]  # wired input ports
    parents: tuple[str, ...]
    children: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Topology:
    """A workflow's graph resolved against the catalog: everything but parameters.

    It depends only on the nodes' ids and types and on the edges, so a workflow
    whose parameters were edited is re-planned without redoing the graph work.
    """

    node_keys: list[tuple[str, str]]  # (id, type) in document order
    edge_keys: list[EdgeKey]
    order: tuple[TopologyNode, ...]  # topological
    parents: Links
    children: Links

    def matches(self, workflow: Workflow) -> bool:
        """Whether ``workflow`` has exactly these nodes (ids, types) and edges."""
        return self.node_keys == _node_keys(workflow) and self.edge_keys == _edge_keys(workflow)


@dataclass(frozen=True, slots=True)
class Plan:
    """The nodes of one run, in topological order, restricted to the run's scope."""

    nodes: dict[str, PlannedNode]
    input_names: frozenset[str]
    topology: Topology


def is_async_implementation(implementation: object) -> bool:
    """Whether calling ``implementation`` returns an awaitable (it runs on the loop)."""
    if inspect.iscoroutinefunction(implementation):
        return True
    call = getattr(implementation, "__call__", None)  # noqa: B004 - callable objects
    return call is not None and inspect.iscoroutinefunction(call)


def input_name(node: Node, params: Mapping[str, Any]) -> str:
    """The run-input name an ``input.*`` node reads (its ``name`` param, else its id)."""
    name = params.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else node.id


TypeCache = dict[str, NodeType]


def build_plan(
    workflow: Workflow,
    catalog: Catalog,
    *,
    scope: RunScope = RunScope.ALL,
    target_node_id: str | None = None,
    use_cache: bool = True,
    inputs: Mapping[str, Any] | None = None,
    types: TypeCache | None = None,
    topology: Topology | None = None,
) -> Plan:
    """Resolve ``workflow`` against ``catalog`` and select the nodes of the run.

    ``types`` memoises per-type data across plans of the same catalog;
    ``topology``, the result of an earlier plan of the same workflow, is reused
    when the workflow's graph still matches it. Raises
    :class:`UnknownNodeTypeError` for a type the catalog lacks, :class:`PlanError`
    for dangling edges, cycles or an unknown target, and :class:`InputError` for a
    run input no ``input.*`` node reads.
    """
    if topology is None or not topology.matches(workflow):
        topology = resolve_topology(workflow, catalog, {} if types is None else types)
    selected, forced = _select(scope, target_node_id, topology)
    forced_all = not use_cache
    document = workflow.nodes

    planned: dict[str, PlannedNode] = {}
    input_names: set[str] = set()
    for nid, position, node_type, wires, wired, parents, children in topology.order:
        node = document[position]
        data = node.data
        params = node_type.resolved_params(data)
        input_key = None
        if node_type.is_input:
            input_key = input_name(node, params)
            input_names.add(input_key)
        if selected is not None:
            if nid not in selected:
                continue
            children = tuple(c for c in children if c in selected)
        planned[nid] = PlannedNode(
            node,
            nid,
            node_type.name,
            node_type,
            params,
            wires,
            _constants(data, wired, node_type) if data else {},
            parents,
            children,
            forced_all or nid in forced,
            input_key,
        )
    names = frozenset(input_names)
    _check_inputs(inputs or {}, names)
    return Plan(nodes=planned, input_names=names, topology=topology)


_node_key = attrgetter("id", "type")
_edge_key = attrgetter("source", "source_handle", "target", "target_handle")


Settings = list[tuple[str | None, dict[str, Any]]]  # (label, copy of data) per node


@dataclass(slots=True)
class _Remembered:
    workflow: Workflow
    plan: Plan
    key: tuple[RunScope, str | None, bool]
    settings: Settings


class PlanCache:
    """Plans of recently run workflows, reused while the workflow is unchanged.

    Runs of an unchanged workflow (same nodes, edges, labels and data) share one
    plan; a changed one re-plans, reusing the graph work when only data changed.
    Plans are read-only, so sharing them between runs is safe.
    """

    def __init__(self, catalog: Catalog, size: int = 16) -> None:
        self.catalog = catalog
        self.size = size
        self.types: TypeCache = {}
        self._entries: OrderedDict[int, _Remembered] = OrderedDict()

    def plan(
        self,
        workflow: Workflow,
        *,
        scope: RunScope = RunScope.ALL,
        target_node_id: str | None = None,
        use_cache: bool = True,
        inputs: Mapping[str, Any] | None = None,
    ) -> Plan:
        """Like :func:`build_plan`, from memory when nothing relevant changed."""
        key = (scope, target_node_id, use_cache)
        entry = self._entries.get(id(workflow))
        topology = None
        if (
            entry is not None
            and entry.workflow is workflow
            and entry.plan.topology.matches(workflow)
        ):
            topology = entry.plan.topology
            if entry.key == key and _unchanged(workflow, entry.settings):
                _check_inputs(inputs or {}, entry.plan.input_names)
                self._entries.move_to_end(id(workflow))
                return entry.plan
        plan = build_plan(
            workflow,
            self.catalog,
            scope=scope,
            target_node_id=target_node_id,
            use_cache=use_cache,
            inputs=inputs,
            types=self.types,
            topology=topology,
        )
        settings = [(node.label, copy.deepcopy(node.data)) for node in workflow.nodes]
        self._entries[id(workflow)] = _Remembered(workflow, plan, key, settings)
        self._entries.move_to_end(id(workflow))
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return plan


def _unchanged(workflow: Workflow, settings: Settings) -> bool:
    for node, (label, data) in zip(workflow.nodes, settings, strict=True):
        current = node.data
        if node.label != label or current != data:
            return False
        if current and not _strictly_equal(current, data):
            return False
    return True


def _strictly_equal(current: dict[str, Any], saved: dict[str, Any]) -> bool:
    # == says 1 == 1.0 == True; parameters must not change type unnoticed.
    for name, value in current.items():
        other = saved[name]
        if type(value) is not type(other):
            return False
        if isinstance(value, dict | list) and _canonical(value) != _canonical(other):
            return False
    return True


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _node_keys(workflow: Workflow) -> list[tuple[str, str]]:
    return list(map(_node_key, workflow.nodes))


def _edge_keys(workflow: Workflow) -> list[EdgeKey]:
    return list(map(_edge_key, workflow.edges))


def resolve_topology(workflow: Workflow, catalog: Catalog, types: TypeCache) -> Topology:
    """Check the graph's shape and resolve its node types (see :class:`Topology`)."""
    node_keys = _node_keys(workflow)
    node_types: dict[str, NodeType] = {}
    index = {nid: position for position, (nid, _) in enumerate(node_keys)}
    for nid, type_name in node_keys:
        if nid in node_types:
            raise PlanError(f"two nodes have the id {nid!r}")
        node_type = types.get(type_name)
        if node_type is None:
            try:
                entry = catalog.entry(type_name)
            except UnknownNodeTypeError as exc:
                raise UnknownNodeTypeError(f"node {nid!r}: {exc}") from None
            node_type = types[type_name] = NodeType.of(entry.spec, entry.implementation)
        node_types[nid] = node_type

    edge_keys = _edge_keys(workflow)
    incoming: dict[str, dict[str, list[tuple[str, str]]]] = {nid: {} for nid in node_types}
    outgoing: dict[str, list[str]] = {nid: [] for nid in node_types}
    for edge, (source, source_port, target, target_port) in zip(
        workflow.edges, edge_keys, strict=True
    ):
        source_type = node_types.get(source)
        target_type = node_types.get(target)
        if (
            source_type is None
            or target_type is None
            or source_port not in source_type.outputs
            or target_port not in target_type.inputs
        ):
            raise PlanError(_edge_problem(edge, node_types))
        incoming[target].setdefault(target_port, []).append((source, source_port))
        outgoing[source].append(target)
    parents = {
        nid: tuple(dict.fromkeys(s for sources in ports.values() for s, _ in sources))
        for nid, ports in incoming.items()
    }
    children = {nid: tuple(dict.fromkeys(targets)) for nid, targets in outgoing.items()}
    order = []
    for nid in _topological_order(parents, children):
        ports = incoming[nid]
        specs = node_types[nid].inputs
        wires = tuple(
            Wire(port, tuple(sources), specs[port].is_list, specs[port].required)
            for port, sources in ports.items()
        )
        order.append(
            TopologyNode(
                nid,
                index[nid],
                node_types[nid],
                wires,
                frozenset(ports),
                parents[nid],
                children[nid],
            )
        )
    return Topology(
        node_keys=node_keys,
        edge_keys=edge_keys,
        order=tuple(order),
        parents=parents,
        children=children,
    )


def _constants(data: dict[str, Any], wired: frozenset[str], node_type: NodeType) -> dict[str, Any]:
    return {
        name: _list_constant(data[name]) if port.is_list else data[name]
        for name, port in node_type.inputs.items()
        if name in data and name not in wired
    }


def _edge_problem(edge: Edge, node_types: dict[str, NodeType]) -> str:
    for node_id in (edge.source, edge.target):
        if node_id not in node_types:
            return f"edge {edge.id!r} refers to the unknown node {node_id!r}"
    if edge.source_handle not in node_types[edge.source].outputs:
        return f"edge {edge.id!r}: node {edge.source!r} has no output {edge.source_handle!r}"
    return f"edge {edge.id!r}: node {edge.target!r} has no input {edge.target_handle!r}"


def _list_constant(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _topological_order(parents: Links, children: Links) -> list[str]:
    remaining = {nid: len(ps) for nid, ps in parents.items()}
    ready = deque(nid for nid, count in remaining.items() if count == 0)
    order: list[str] = []
    while ready:
        nid = ready.popleft()
        order.append(nid)
        for child in children[nid]:
            remaining[child] -= 1
            if remaining[child] == 0:
                ready.append(child)
    if len(order) != len(parents):
        stuck = {nid for nid, count in remaining.items() if count > 0}
        raise PlanError("the workflow has a cycle: " + " → ".join(_find_cycle(stuck, parents)))
    return order


def _find_cycle(stuck: set[str], parents: Links) -> list[str]:
    # Every stuck node has a stuck parent, so walking parents must revisit a node.
    path: list[str] = []
    seen: dict[str, int] = {}
    current = min(stuck)
    while current not in seen:
        seen[current] = len(path)
        path.append(current)
        current = next(p for p in parents[current] if p in stuck)
    cycle = [*path[seen[current] :], current]
    cycle.reverse()
    return cycle


def _closure(start: str, links: Links) -> set[str]:
    found = {start}
    stack = [start]
    while stack:
        for other in links[stack.pop()]:
            if other not in found:
                found.add(other)
                stack.append(other)
    return found


def _select(
    scope: RunScope, target: str | None, topology: Topology
) -> tuple[set[str] | None, set[str]]:
    """The nodes in the run (``None``: all) and those that re-run regardless of the cache."""
    if scope == RunScope.ALL:
        return None, set()
    parents, children = topology.parents, topology.children
    if target is None or target not in parents:
        raise PlanError(f"the run targets the unknown node {target!r}")
    if scope == RunScope.FROM_NODE:
        forced = _closure(target, children)
        selected = set().union(*(_closure(nid, parents) for nid in forced))
    else:
        forced = {target}
        selected = _closure(target, parents)
    return selected, forced


def _check_inputs(inputs: Mapping[str, Any], names: frozenset[str]) -> None:
    unknown = sorted(set(inputs) - names)
    if unknown:
        known = ", ".join(sorted(names)) or "none"
        raise InputError(
            f"unknown input {', '.join(map(repr, unknown))}; this workflow's inputs are: {known}"
        )
