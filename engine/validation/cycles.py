"""Finding loops in the graph: one report per loop, with a concrete path through it.

A set of nodes that can all reach each other (a strongly connected component) is
reported once, however many distinct cycles run through it: the path given is the
shortest loop through its first node in document order. Enumerating every
elementary cycle instead could take exponential time on a dense graph.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

#: ``node id -> [(target node id, edge id), ...]`` in edge order.
Adjacency = Mapping[str, Sequence[tuple[str, str | None]]]


@dataclass(frozen=True, slots=True)
class Loop:
    """A cycle: node ids from ``path[0]`` back to it, and the edges taken."""

    path: tuple[str, ...]
    edge_ids: tuple[str | None, ...]
    component: frozenset[str]


def find_loops(order: Sequence[str], adjacency: Adjacency) -> list[Loop]:
    """Every loop of the graph, one per strongly connected component, in document order."""
    position = {node: i for i, node in enumerate(order)}
    loops = []
    for component in _components(order, adjacency):
        start = min(component, key=position.__getitem__)
        if len(component) == 1 and all(t != start for t, _ in adjacency.get(start, ())):
            continue
        loops.append(_shortest_loop(start, component, adjacency))
    loops.sort(key=lambda loop: position[loop.path[0]])
    return loops


def _components(order: Sequence[str], adjacency: Adjacency) -> Iterator[frozenset[str]]:
    """Tarjan's algorithm, iterative so a 100-node chain cannot exhaust the stack."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    for root in order:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(adjacency.get(root, ())))]
        while work:
            node, successors = work[-1]
            descended = False
            for target, _ in successors:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(adjacency.get(target, ()))))
                    descended = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.add(member)
                    if member == node:
                        break
                yield frozenset(members)


def _shortest_loop(start: str, component: frozenset[str], adjacency: Adjacency) -> Loop:
    parents: dict[str, tuple[str, str | None] | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target, edge_id in adjacency.get(node, ()):
            if target == start:
                return _unwind(start, node, edge_id, parents, component)
            if target in component and target not in parents:
                parents[target] = (node, edge_id)
                queue.append(target)
    raise AssertionError("a strongly connected component always has a loop")  # pragma: no cover


def _unwind(
    start: str,
    last: str,
    closing_edge: str | None,
    parents: dict[str, tuple[str, str | None] | None],
    component: frozenset[str],
) -> Loop:
    nodes = [start]
    edges = [closing_edge]
    node = last
    while node != start:
        nodes.append(node)
        step = parents[node]
        assert step is not None
        node, edge_id = step
        edges.append(edge_id)
    nodes.append(start)
    nodes.reverse()
    edges.reverse()
    return Loop(tuple(nodes), tuple(edges), component)
