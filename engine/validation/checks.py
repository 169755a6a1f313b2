"""The checks that need the catalog: node types, parameters, ports, wiring, loops."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.catalog.registry import Catalog
from engine.catalog.spec import NodeSpec, ParamKind, ParamProblem, ParamSpec, PortSpec, PortType
from engine.catalog.spec import ports_compatible as compatible
from engine.validation.cycles import find_loops
from engine.validation.document import EdgeRecord, NodeRecord, data_depth_problem
from engine.validation.hints import Hinter, code_name, listing
from engine.validation.violations import MAX_DATA_DEPTH, Severity, Violation, ViolationCode

_PARAM_CODES = {
    ParamProblem.WRONG_TYPE: ViolationCode.PARAM_WRONG_TYPE,
    ParamProblem.OUT_OF_RANGE: ViolationCode.PARAM_OUT_OF_RANGE,
    ParamProblem.NOT_IN_ENUM: ViolationCode.PARAM_NOT_IN_ENUM,
}

_KIND_WORDS = {
    ParamKind.STRING: "a string",
    ParamKind.TEXT: "a string",
    ParamKind.FILE: "a file path (a string)",
    ParamKind.INTEGER: "a whole number",
    ParamKind.SEED: "a whole number",
    ParamKind.NUMBER: "a number",
    ParamKind.BOOLEAN: "true or false",
    ParamKind.COLOR: 'a colour such as "#ff8800"',
}

_AN = {PortType.IMAGE, PortType.AUDIO}


class _SpecIndex:
    """A node type's params and ports by name, built once per type per run."""

    __slots__ = ("input_names", "inputs", "output_names", "outputs", "params", "spec")

    def __init__(self, spec: NodeSpec) -> None:
        self.spec = spec
        self.params: dict[str, ParamSpec] = {p.name: p for p in spec.params}
        self.inputs: dict[str, PortSpec] = {p.name: p for p in spec.inputs}
        self.outputs: dict[str, PortSpec] = {p.name: p for p in spec.outputs}
        self.input_names = [p.name for p in spec.inputs]
        self.output_names = [p.name for p in spec.outputs]


class Checker:
    """Runs every catalog-aware check over one document's records."""

    def __init__(
        self,
        catalog: Catalog,
        hinter: Hinter,
        nodes: Sequence[NodeRecord],
        edges: Sequence[EdgeRecord],
    ) -> None:
        self._catalog = catalog
        self._hinter = hinter
        self._nodes = nodes
        self._edges = edges
        self._by_id: dict[str, NodeRecord] = {}
        for node in nodes:
            if node.id is not None:
                self._by_id.setdefault(node.id, node)
        self._specs: dict[str, _SpecIndex | None] = {}
        self._aliases: dict[str, str] | None = None

    def run(self) -> list[Violation]:
        """All violations: nodes first, then edges, then loops, each in document order."""
        connected = {
            (e.target, e.target_handle)
            for e in self._edges
            if e.target is not None and e.target_handle is not None
        }
        found: list[Violation] = []
        seen: set[str] = set()
        for node in self._nodes:
            found.extend(self._check_node(node, seen, connected))
        found.extend(self._check_edges())
        found.extend(self._check_loops())
        return found

    # -- nodes ------------------------------------------------------------------

    def _index(self, node: NodeRecord | None) -> _SpecIndex | None:
        if node is None or node.type is None:
            return None
        if node.type not in self._specs:
            spec = self._catalog.get(node.type)
            self._specs[node.type] = _SpecIndex(spec) if spec is not None else None
        return self._specs[node.type]

    def _check_node(
        self, node: NodeRecord, seen: set[str], connected: set[tuple[str, str]]
    ) -> list[Violation]:
        found: list[Violation] = []
        nid = node.id
        if nid is not None:
            if nid in seen:
                found.append(
                    _error(
                        ViolationCode.DUPLICATE_NODE_ID,
                        f"more than one node has the id {code_name(nid)}",
                        node_id=nid,
                        field="id",
                        hint=f"give each node its own id, e.g. {code_name(self._free_id(nid))}",
                    )
                )
            seen.add(nid)
        if node.data is not None:
            key = data_depth_problem(node.data)
            if key is not None:
                found.append(
                    _error(
                        ViolationCode.DATA_TOO_DEEP,
                        f"{_node(node)}: data.{key} is nested more than "
                        f"{MAX_DATA_DEPTH} levels deep",
                        node_id=nid,
                        field=f"data.{key}",
                        hint="flatten the value, or pass large structures in through a json input",
                    )
                )
        if node.type is None:
            return found
        index = self._index(node)
        if index is None:
            found.append(self._unknown_type(node))
            return found
        if node.data is not None:
            found.extend(self._check_params(node, index, node.data))
            found.extend(self._check_inputs(node, index, node.data, connected))
        return found

    def _unknown_type(self, node: NodeRecord) -> Violation:
        assert node.type is not None
        guess = self._by_alias(node.type)
        if guess is None and self._hinter.spend():
            guess = self._catalog.closest(node.type)
        hint = (
            f"did you mean {code_name(guess)}?"
            if guess
            else "run `patchbay catalog` to list the node types"
        )
        return _error(
            ViolationCode.UNKNOWN_NODE_TYPE,
            f"{_node(node)} has unknown type {code_name(node.type)}",
            node_id=node.id,
            field="type",
            hint=hint,
        )

    def _by_alias(self, word: str) -> str | None:
        """The type whose search aliases include ``word`` ("scale" → ``image.resize``)."""
        if self._aliases is None:
            self._aliases = {}
            for spec in self._catalog:
                for alias in spec.aliases:
                    self._aliases.setdefault(alias.casefold(), spec.type)
        return self._aliases.get(word.casefold())

    def _check_params(
        self, node: NodeRecord, index: _SpecIndex, data: Mapping[str, Any]
    ) -> list[Violation]:
        found: list[Violation] = []
        nid = node.id
        for key, value in data.items():
            param = index.params.get(key)
            if param is None:
                if key not in index.inputs:
                    found.append(self._unknown_param(node, index, key))
                continue
            if value is None:
                continue  # null means "not set": the default applies
            problem = param.check(value)
            if problem is not None:
                kind, reason = problem
                found.append(
                    _error(
                        _PARAM_CODES[kind],
                        f"{_node(node)}: parameter {code_name(key)}: {reason}",
                        node_id=nid,
                        field=key,
                        hint=self._param_hint(kind, param, value),
                    )
                )
        for param in index.spec.params:
            if param.required and param.default is None and _is_unset(data.get(param.name)):
                what = _KIND_WORDS.get(param.kind, "a value")
                found.append(
                    _error(
                        ViolationCode.REQUIRED_PARAM_MISSING,
                        f"{_node(node)}: required parameter {code_name(param.name)} is not set",
                        node_id=nid,
                        field=param.name,
                        hint=f"set {code_name(param.name)} to {what}",
                    )
                )
        return found

    def _unknown_param(self, node: NodeRecord, index: _SpecIndex, key: str) -> Violation:
        known = list(dict.fromkeys([*index.params, *index.input_names]))
        guess = self._hinter.closest(key, known)
        if guess:
            hint = f"did you mean {code_name(guess)}?"
        elif known:
            hint = f"it is ignored; {code_name(index.spec.type)} takes {listing(known)}"
        else:
            hint = f"it is ignored; {code_name(index.spec.type)} takes no parameters"
        return Violation(
            code=ViolationCode.UNKNOWN_PARAM,
            severity=Severity.WARNING,
            message=f"{_node(node)}: {code_name(index.spec.type)} has no "
            f"parameter or input called {code_name(key)}",
            node_id=node.id,
            field=key,
            hint=hint,
        )

    def _param_hint(self, kind: ParamProblem, param: ParamSpec, value: Any) -> str:
        if kind == ParamProblem.OUT_OF_RANGE:
            low, high = param.minimum, param.maximum
            if low is not None and high is not None:
                return f"use a value from {low:g} to {high:g}"
            if low is not None:
                return f"use a value of at least {low:g}"
            return f"use a value of at most {high:g}" if high is not None else "use another value"
        if kind == ParamProblem.NOT_IN_ENUM:
            choices = [str(c) for c in param.choices or ()]
            guess = self._hinter.closest(value, choices) if isinstance(value, str) else None
            if guess:
                return f"did you mean {code_name(guess)}?"
            return f"choose one of {listing(choices)}"
        return f"set {code_name(param.name)} to {_KIND_WORDS.get(param.kind, 'a valid value')}"

    def _check_inputs(
        self,
        node: NodeRecord,
        index: _SpecIndex,
        data: Mapping[str, Any],
        connected: set[tuple[str, str]],
    ) -> list[Violation]:
        found: list[Violation] = []
        for port in index.spec.inputs:
            if not port.required or (node.id, port.name) in connected:
                continue
            value = data.get(port.name)
            param = index.params.get(port.name)
            if value is None and param is not None:
                value = param.default  # an unwired input falls back to its parameter
            if not _is_unset(value):
                continue
            if port.type.is_media:
                hint = f"connect {_a(port.type)} output to {code_name(port.name)}"
            else:
                hint = (
                    f"connect {_a(port.type)} output to {code_name(port.name)}, "
                    "or type a value for it"
                )
            found.append(
                _error(
                    ViolationCode.REQUIRED_INPUT_MISSING,
                    f"{_node(node)}: required input {code_name(port.name)} "
                    f"({port.type.value}) is neither connected nor set",
                    node_id=node.id,
                    field=port.name,
                    hint=hint,
                )
            )
        return found

    def _free_id(self, taken: str) -> str:
        n = 2
        while f"{taken}-{n}" in self._by_id:
            n += 1
        return f"{taken}-{n}"

    # -- edges ------------------------------------------------------------------

    def _check_edges(self) -> list[Violation]:
        found: list[Violation] = []
        seen: set[str] = set()
        fed_by: dict[tuple[str, str], str | None] = {}
        for edge in self._edges:
            eid = edge.id
            if eid is not None:
                if eid in seen:
                    found.append(
                        _error(
                            ViolationCode.DUPLICATE_EDGE_ID,
                            f"more than one edge has the id {code_name(eid)}",
                            edge_id=eid,
                            field="id",
                            hint="give each edge its own id",
                        )
                    )
                seen.add(eid)
            source = self._endpoint(edge, edge.source, "source", found)
            target = self._endpoint(edge, edge.target, "target", found)
            out_port = self._port(edge, source, edge.source_handle, output=True, found=found)
            in_port = self._port(edge, target, edge.target_handle, output=False, found=found)
            if out_port is None or in_port is None or source is None or target is None:
                continue
            if not compatible(out_port.type, in_port.type):
                found.append(self._mismatch(edge, out_port, in_port, source, target))
            elif not in_port.is_list and target.id is not None:
                key = (target.id, in_port.name)
                if key in fed_by:
                    found.append(
                        _error(
                            ViolationCode.INPUT_ALREADY_CONNECTED,
                            f"input {code_name(in_port.name)} of {_node(target)} "
                            "already has a wire; it takes one value",
                            edge_id=eid,
                            node_id=target.id,
                            field="targetHandle",
                            hint=f"remove this edge or edge {code_name(fed_by[key])}",
                        )
                    )
                else:
                    fed_by[key] = eid
        return found

    def _endpoint(
        self, edge: EdgeRecord, node_id: str | None, field: str, found: list[Violation]
    ) -> NodeRecord | None:
        if node_id is None:
            return None
        node = self._by_id.get(node_id)
        if node is None:
            guess = self._hinter.closest(node_id, self._by_id)
            found.append(
                _error(
                    ViolationCode.UNKNOWN_NODE,
                    f"{_edge(edge)}: {field} {code_name(node_id)} is not a node of this workflow",
                    edge_id=edge.id,
                    field=field,
                    hint=f"did you mean node {code_name(guess)}?"
                    if guess
                    else "connect it to an existing node or delete the edge",
                )
            )
        return node

    def _port(
        self,
        edge: EdgeRecord,
        node: NodeRecord | None,
        name: str | None,
        *,
        output: bool,
        found: list[Violation],
    ) -> PortSpec | None:
        index = self._index(node)
        if index is None or name is None or node is None:
            return None  # unknown node or type: reported elsewhere, ports unknowable
        ports, names = (
            (index.outputs, index.output_names) if output else (index.inputs, index.input_names)
        )
        port = ports.get(name)
        if port is not None:
            return port
        side, other = ("output", "input") if output else ("input", "output")
        if name in (index.input_names if output else index.output_names):
            hint = f"{code_name(name)} is an {other}; wire it the other way round"
        elif guess := self._hinter.closest(name, names):
            hint = f"did you mean port {code_name(guess)}?"
        elif names:
            hint = f"{code_name(index.spec.type)} has {side}s {listing(names)}"
        else:
            hint = f"{code_name(index.spec.type)} has no {side}s"
        found.append(
            _error(
                ViolationCode.UNKNOWN_PORT,
                f"{_edge(edge)}: {_node(node)} "
                f"({index.spec.type}) has no {side} port {code_name(name)}",
                edge_id=edge.id,
                node_id=node.id,
                field="sourceHandle" if output else "targetHandle",
                hint=hint,
            )
        )
        return None

    def _mismatch(
        self,
        edge: EdgeRecord,
        out_port: PortSpec,
        in_port: PortSpec,
        source: NodeRecord,
        target: NodeRecord,
    ) -> Violation:
        index = self._index(target)
        fits = (
            [p.name for p in index.spec.inputs if compatible(out_port.type, p.type)]
            if index
            else []
        )
        if fits:
            hint = f"did you mean port {code_name(fits[0])}?"
        else:
            hint = f"connect {_a(in_port.type)} output to {code_name(in_port.name)} instead"
        return _error(
            ViolationCode.PORT_TYPE_MISMATCH,
            f"{_edge(edge)}: output {code_name(out_port.name)} of {_node(source)} gives "
            f"{out_port.type.value} but input {code_name(in_port.name)} of {_node(target)} "
            f"takes {in_port.type.value}",
            edge_id=edge.id,
            node_id=target.id,
            field="targetHandle",
            hint=hint,
        )

    # -- loops ------------------------------------------------------------------

    def _check_loops(self) -> list[Violation]:
        adjacency: dict[str, list[tuple[str, str | None]]] = {node: [] for node in self._by_id}
        for edge in self._edges:
            if edge.source in self._by_id and edge.target in self._by_id:
                assert edge.source is not None and edge.target is not None
                adjacency[edge.source].append((edge.target, edge.id))
        found = []
        for loop in find_loops(list(self._by_id), adjacency):
            drawn = " → ".join(loop.path)
            closing = loop.edge_ids[-1]
            extra = len(loop.component) - (len(loop.path) - 1)
            also = f" ({extra} more nodes loop with them)" if extra > 0 else ""
            found.append(
                _error(
                    ViolationCode.CYCLE,
                    f"the workflow loops back on itself: {drawn}{also}",
                    node_id=loop.path[0],
                    edge_id=closing,
                    path=loop.path,
                    hint=f"remove edge {code_name(closing)} ({loop.path[-2]} → {loop.path[-1]}) "
                    "or another edge of the loop",
                )
            )
        return found


def _error(code: ViolationCode, message: str, **fields: Any) -> Violation:
    return Violation(code=code, message=message, **fields)


def _is_unset(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def _a(port_type: PortType) -> str:
    return f"{'an' if port_type in _AN else 'a'} {port_type.value}"


def _node(node: NodeRecord) -> str:
    """How a node is named in messages (by position when its id is unusable)."""
    return f"node {code_name(node.id)}" if node.id is not None else f"node #{node.index + 1}"


def _edge(edge: EdgeRecord) -> str:
    """How an edge is named in messages (by position when its id is unusable)."""
    return f"edge {code_name(edge.id)}" if edge.id is not None else f"edge #{edge.index + 1}"
