"""Whether a wire may be drawn between two ports, and why not.

The canvas asks this while a wire is being dragged (to colour it and show the
reason) and again when it is dropped. The answer also says which existing wire a
new one replaces: a single-value input holds one wire, a list input many.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from engine.catalog.spec import PortType, ports_compatible
from engine.workflow import Edge
from widgets.canvas.ports import NodePorts, PortInfo


@dataclass(frozen=True, slots=True)
class PortRef:
    """One port of one node."""

    node_id: str
    port: str
    is_output: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer: allowed (with the wires it replaces) or refused with a reason."""

    allowed: bool
    reason: str = ""
    replaces: tuple[str, ...] = ()
    source: PortRef | None = None
    target: PortRef | None = None


def _type_name(port_type: PortType | None) -> str:
    return port_type.value if port_type is not None else "unknown"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def refuse(reason: str) -> Verdict:
    """A refusal with ``reason``."""
    return Verdict(False, reason)


def check_connection(
    edges: Iterable[Edge],
    ports_of: Callable[[str], NodePorts | None],
    start: PortRef,
    end: PortRef,
    *,
    ignore_edges: Collection[str] = (),
) -> Verdict:
    """May a wire join ``start`` and ``end`` (in either order)?

    ``ignore_edges`` are wires the gesture is taking away (a wire being re-plugged),
    so they neither block the new one nor count as already there.
    """
    if start.is_output == end.is_output:
        side = "outputs" if start.is_output else "inputs"
        return refuse(f"Both ports are {side}: connect an output to an input")
    source, target = (start, end) if start.is_output else (end, start)
    if source.node_id == target.node_id:
        return refuse("A node cannot feed its own input")
    source_node, target_node = ports_of(source.node_id), ports_of(target.node_id)
    if source_node is None or target_node is None:
        return refuse("That node is no longer in the workflow")
    for node in (source_node, target_node):
        if node.placeholder:
            return refuse(
                f"“{node.title}” has the unknown type “{node.node_type}”: "
                "it keeps its wires but cannot take new ones"
            )
    out = source_node.port(source.port, is_output=True)
    inp = target_node.port(target.port, is_output=False)
    if out is None or inp is None:
        return refuse("That port does not exist")
    problem = _type_problem(out, inp, target_node)
    if problem:
        return refuse(problem)
    wires = [e for e in edges if e.id not in ignore_edges]
    for edge in wires:
        if (edge.source, edge.source_handle, edge.target, edge.target_handle) == (
            source.node_id,
            source.port,
            target.node_id,
            target.port,
        ):
            return refuse("These ports are already connected")
    if _reaches(wires, target.node_id, source.node_id):
        return refuse(
            f"This wire would make a loop: “{target_node.title}” already feeds "
            f"“{source_node.title}”"
        )
    replaces: tuple[str, ...] = ()
    if not inp.multi:
        replaces = tuple(
            e.id for e in wires if e.target == target.node_id and e.target_handle == target.port
        )
    return Verdict(True, replaces=replaces, source=source, target=target)


def _type_problem(out: PortInfo, inp: PortInfo, target: NodePorts) -> str | None:
    if out.type is None or inp.type is None:
        unknown = out if out.type is None else inp
        return f"Port “{unknown.label}” is not declared by its node type; it cannot take new wires"
    if ports_compatible(out.type, inp.type):
        return None
    src, tgt = _type_name(out.type), _type_name(inp.type)
    return (
        f"{_article(src).capitalize()} {src} output cannot feed the {tgt} input "
        f"“{inp.label}” of “{target.title}”"
    )


def _reaches(edges: list[Edge], start: str, goal: str) -> bool:
    """Whether ``goal`` is downstream of ``start`` along ``edges``."""
    downstream: dict[str, list[str]] = {}
    for edge in edges:
        downstream.setdefault(edge.source, []).append(edge.target)
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for nxt in downstream.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def first_compatible(
    candidates: Iterable[PortInfo], port_type: PortType, *, into: bool
) -> PortInfo | None:
    """The best port of a new node to wire to a port of ``port_type``.

    ``into`` means the candidates are inputs fed by that port; otherwise they are
    outputs feeding it. An exact type match wins over a convertible one.
    """
    fitting = []
    for port in candidates:
        if port.type is None:
            continue
        ok = (
            ports_compatible(port_type, port.type)
            if into
            else ports_compatible(port.type, port_type)
        )
        if ok:
            fitting.append(port)
    exact = [p for p in fitting if p.type == port_type]
    best = exact or fitting
    return best[0] if best else None
