"""Which ports a node shows: the catalog's, plus any an edge names that the catalog lacks.

A node of an unknown type (a *placeholder*) has no spec, so its ports are inferred
from the edges that reference it; a known node whose edge names a port the spec
does not declare keeps that port too (typeless, marked undeclared). Either way
every wire of the document has two ports to attach to, so nothing is lost when the
document is shown and saved again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.catalog.docs import port_help
from engine.catalog.spec import Category, NodeSpec, PortSpec, PortType
from engine.workflow import Edge, Node


@dataclass(frozen=True, slots=True)
class PortInfo:
    """One port as the canvas shows it."""

    name: str
    label: str
    type: PortType | None  # None: unknown (placeholder node or undeclared port)
    is_list: bool = False
    declared: bool = True
    description: str = ""
    required: bool | None = None  # inputs only: whether a run needs a wire or a value

    @property
    def multi(self) -> bool:
        """Whether the port may hold several wires (list inputs, undeclared ports)."""
        return self.is_list or not self.declared


@dataclass(frozen=True, slots=True)
class NodePorts:
    """A node's ports and what the canvas needs to draw its card."""

    node_id: str
    node_type: str
    title: str
    category: Category | None
    placeholder: bool
    inputs: tuple[PortInfo, ...] = ()
    outputs: tuple[PortInfo, ...] = ()
    description: str = ""
    _by_name: dict[tuple[bool, str], PortInfo] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        for port in self.inputs:
            self._by_name[(False, port.name)] = port
        for port in self.outputs:
            self._by_name[(True, port.name)] = port

    def port(self, name: str, is_output: bool) -> PortInfo | None:
        """The input (or output) called ``name``."""
        return self._by_name.get((is_output, name))


def handles_by_node(edges: Iterable[Edge]) -> dict[str, tuple[list[str], list[str]]]:
    """For each node id, the input and output port names its edges use (first-use order)."""
    used: dict[str, tuple[list[str], list[str]]] = {}
    for edge in edges:
        outs = used.setdefault(edge.source, ([], []))[1]
        if edge.source_handle not in outs:
            outs.append(edge.source_handle)
        ins = used.setdefault(edge.target, ([], []))[0]
        if edge.target_handle not in ins:
            ins.append(edge.target_handle)
    return used


def _declared(port: PortSpec, *, output: bool = False) -> PortInfo:
    return PortInfo(
        name=port.name,
        label=port.label or port.name,
        type=port.type,
        is_list=port.is_list,
        description=port_help(port, output=output),
        required=None if output else port.required,
    )


def _undeclared(name: str) -> PortInfo:
    return PortInfo(name=name, label=name, type=None, declared=False)


def node_title(node: Node, spec: NodeSpec | None) -> str:
    """The card title: the node's label, else the catalog name, else the type id."""
    if node.label:
        return node.label
    return spec.display_name if spec is not None else node.type


def node_ports(
    node: Node,
    spec: NodeSpec | None,
    used_inputs: Iterable[str] = (),
    used_outputs: Iterable[str] = (),
) -> NodePorts:
    """Describe ``node``; ``used_*`` are the port names its edges reference."""
    if spec is None:
        return NodePorts(
            node_id=node.id,
            node_type=node.type,
            title=node_title(node, None),
            category=None,
            placeholder=True,
            inputs=tuple(_undeclared(n) for n in used_inputs),
            outputs=tuple(_undeclared(n) for n in used_outputs),
            description=f"Unknown node type “{node.type}”: kept as it is, not runnable.",
        )
    inputs = [_declared(p) for p in spec.inputs]
    outputs = [_declared(p, output=True) for p in spec.outputs]
    inputs += [_undeclared(n) for n in used_inputs if spec.input(n) is None]
    outputs += [_undeclared(n) for n in used_outputs if spec.output(n) is None]
    return NodePorts(
        node_id=node.id,
        node_type=node.type,
        title=node_title(node, spec),
        category=spec.category,
        placeholder=False,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        description=spec.description,
    )
