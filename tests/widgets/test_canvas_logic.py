"""The canvas's screen-free parts: port lists, wiring rules, layout, clipboard, backdrops."""

from __future__ import annotations

from engine.catalog.spec import PortType
from engine.workflow import Node, Position, Workflow
from tests.widgets.canvas_support import canvas_catalog, edge, sample_workflow
from widgets.canvas.backdrops import Backdrop, read_backdrops
from widgets.canvas.clipboard import extract, from_clipboard_text, reidentify, to_clipboard_text
from widgets.canvas.layout import Align, Axis, Rect, align, depths, distribute, layered
from widgets.canvas.ports import NodePorts, handles_by_node, node_ports
from widgets.canvas.rules import PortRef, check_connection, first_compatible


def _ports_of(workflow: Workflow) -> dict[str, NodePorts]:
    catalog = canvas_catalog()
    used = handles_by_node(workflow.edges)
    return {
        n.id: node_ports(n, catalog.get(n.type), *used.get(n.id, ([], []))) for n in workflow.nodes
    }


def test_placeholder_ports_are_inferred_from_edges_in_first_use_order() -> None:
    node = Node(id="x", type="no.such")
    edges = [edge("e1", "a", "out", "x", "second"), edge("e2", "b", "out", "x", "first")]
    ins, outs = handles_by_node(edges)["x"]

    ports = node_ports(node, None, ins, outs)

    assert ports.placeholder and ports.title == "no.such"
    assert [p.name for p in ports.inputs] == ["second", "first"]
    assert all(p.type is None and p.multi for p in ports.inputs)


def test_wiring_rules_explain_refusals_and_name_replaced_wires() -> None:
    workflow = sample_workflow()
    ports = _ports_of(workflow).get

    def check(s: tuple[str, str], t: tuple[str, str]) -> tuple[bool, str, tuple[str, ...]]:
        v = check_connection(workflow.edges, ports, PortRef(*s, True), PortRef(*t, False))
        return v.allowed, v.reason, v.replaces

    assert check(("shot", "image"), ("clip", "image")) == (True, "", ("e3",))
    assert check(("shot", "image"), ("grid", "images"))[1] == "These ports are already connected"
    assert check(("clip", "video"), ("grid", "images"))[0] is False
    assert check(("motion", "text"), ("grid", "images"))[1].startswith("A text output cannot")
    loop = check_connection(
        workflow.edges, ports, PortRef("grid", "image", True), PortRef("shot", "prompt", False)
    )
    assert not loop.allowed  # image into text
    loop = check_connection(
        workflow.edges, ports, PortRef("grid", "image", True), PortRef("small", "image", False)
    )
    assert not loop.allowed and "loop" in loop.reason
    reverse = check_connection(
        workflow.edges, ports, PortRef("clip", "prompt", False), PortRef("motion", "text", True)
    )
    assert reverse.allowed and reverse.source == PortRef("motion", "text", True)
    both_out = check_connection(
        workflow.edges, ports, PortRef("clip", "video", True), PortRef("motion", "text", True)
    )
    assert "connect an output to an input" in both_out.reason


def test_replugging_ignores_the_wire_being_moved() -> None:
    workflow = sample_workflow()
    ports = _ports_of(workflow).get

    again = check_connection(
        workflow.edges,
        ports,
        PortRef("small", "image", True),
        PortRef("clip", "image", False),
        ignore_edges={"e3"},
    )

    assert again.allowed and again.replaces == ()


def test_first_compatible_prefers_the_same_type() -> None:
    catalog = canvas_catalog()
    animate = node_ports(Node(id="v", type="video.animate"), catalog.get("video.animate"))

    text = first_compatible(animate.inputs, PortType.TEXT, into=True)
    mask = first_compatible(animate.inputs, PortType.MASK, into=True)  # a mask may feed an image
    assert text is not None and text.name == "prompt"
    assert mask is not None and mask.name == "image"
    assert first_compatible(animate.outputs, PortType.TEXT, into=False) is None


def test_align_and_distribute() -> None:
    rects = {"a": Rect(0, 0, 100, 50), "b": Rect(200, 30, 50, 80), "c": Rect(90, 100, 60, 20)}

    assert align(rects, Align.LEFT) == {"a": (0, 0), "b": (0, 30), "c": (0, 100)}
    assert align(rects, Align.BOTTOM)["a"] == (0, 70)
    assert align(rects, Align.H_CENTER)["b"] == (100, 30)
    spread = distribute(rects, Axis.HORIZONTAL)
    assert spread["a"] == (0, 0) and spread["b"] == (200, 30)
    assert spread["c"] == (120, 100)  # gaps of 20 on both sides
    assert align({"a": rects["a"]}, Align.TOP) == {}


def test_depths_follow_the_longest_path_and_survive_loops() -> None:
    assert depths("abcd", [("a", "b"), ("b", "c"), ("a", "c")]) == {"a": 0, "b": 1, "c": 2, "d": 0}
    looped = depths("abc", [("a", "b"), ("b", "c"), ("c", "b")])
    assert looped["a"] == 0 and looped["b"] >= 1 and looped["c"] >= 1


def test_layered_layout_orders_columns_and_avoids_overlaps() -> None:
    rects = {n: Rect(0, 0, 100, 60) for n in "abcde"}
    links = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("e", "c")]

    placed = layered(rects, links)

    assert placed["a"][0] == placed["e"][0] < placed["b"][0] == placed["c"][0] < placed["d"][0]
    boxes = {(x, y) for x, y in placed.values()}
    assert len(boxes) == 5


def test_copied_fragments_get_fresh_ids_and_keep_inner_wires_only() -> None:
    workflow = sample_workflow()
    fragment = from_clipboard_text(to_clipboard_text(extract(workflow, ["shot", "small"])))
    assert fragment is not None

    nodes, edges = reidentify(
        fragment,
        [n.id for n in workflow.nodes],
        [e.id for e in workflow.edges],
        at=(10, 20),
    )

    assert [n.id for n in nodes] == ["shot_2", "small_2"]
    assert [(n.position.x, n.position.y) for n in nodes] == [(10, 20), (270, 20)]
    assert [(e.id, e.source, e.target) for e in edges] == [("e7", "shot_2", "small_2")]
    again, _ = reidentify(fragment, ["shot", "shot_2", "small", "small_2"], [])
    assert [n.id for n in again] == ["shot_3", "small_3"]


def test_clipboard_text_that_is_not_a_workflow_is_rejected() -> None:
    assert from_clipboard_text("hello") is None
    assert from_clipboard_text("[1, 2]") is None
    assert from_clipboard_text('{"nodes": "no"}') is None
    assert from_clipboard_text('{"nodes": [{"id": ""}]}') is None
    moved = Node(id="n", type="t", position=Position(x=1, y=2))
    assert from_clipboard_text(Workflow(nodes=[moved]).to_json()) is not None


def test_backdrops_read_from_metadata_tolerate_junk() -> None:
    metadata = {
        "backdrops": [
            {"id": "bd1", "title": "Inputs", "nodes": ["a", 3, "b"]},
            "junk",
            {"title": 5, "nodes": []},
            {"id": "x", "nodes": "a"},
        ]
    }

    assert read_backdrops(metadata) == [
        Backdrop("bd1", "Inputs", ("a", "b")),
        Backdrop("bd3", "Group", ()),
    ]
    assert read_backdrops({"backdrops": {"a": 1}}) == []
