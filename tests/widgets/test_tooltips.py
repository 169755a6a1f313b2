"""Every port and every parameter of every catalog node type explains itself on hover."""

from __future__ import annotations

from html import escape

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from engine.catalog import default_catalog
from engine.catalog.docs import param_help, port_help
from engine.catalog.spec import NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.workflow import Node, Position, Workflow
from widgets.canvas import CanvasView
from widgets.canvas.mapping import port_tooltip
from widgets.canvas.ports import PortInfo
from widgets.document import WorkflowDocument
from widgets.properties import PropertiesPanel, field_tooltip


def _every_type() -> Workflow:
    specs = list(default_catalog())
    nodes = [
        Node(id=f"n{i}", type=spec.type, position=Position(x=(i % 16) * 320, y=(i // 16) * 260))
        for i, spec in enumerate(specs)
    ]
    return Workflow(name="Every node type", nodes=nodes)


def _spec_of(document: WorkflowDocument, node_id: str) -> NodeSpec:
    return default_catalog().spec(document.node(node_id).type)


def test_every_port_on_the_canvas_has_its_description_type_and_need(qtbot: QtBot) -> None:
    document = WorkflowDocument(_every_type())
    canvas = CanvasView(document, QUndoStack(), default_catalog())
    qtbot.addWidget(canvas)
    checked = 0
    for node in document.nodes():
        spec = default_catalog().spec(node.type)
        card = canvas.mapper.card(node.id)
        assert card is not None
        for items, ports, output in (
            (card.inputs, spec.inputs, False),
            (card.outputs, spec.outputs, True),
        ):
            assert [item.name for item in items] == [p.name for p in ports]
            for item, port in zip(items, ports, strict=True):
                tip = item.toolTip()
                assert escape(port_help(port, output=output)) in tip, (node.type, port.name)
                assert escape(port.label or port.name) in tip
                if not output:
                    assert ("required" if port.required else "optional") in tip
                checked += 1
    assert checked == sum(len(s.inputs) + len(s.outputs) for s in default_catalog())


def test_every_parameter_field_has_a_tooltip_with_its_description(qtbot: QtBot) -> None:
    document = WorkflowDocument(_every_type())
    panel = PropertiesPanel(document, QUndoStack(), default_catalog())
    qtbot.addWidget(panel)
    fields = 0
    for node in document.nodes():
        spec = _spec_of(document, node.id)
        panel.set_node(node.id)
        for param in spec.params:
            editor = panel.editor(param.name)
            assert editor is not None, (node.type, param.name)
            tip = editor.toolTip()
            port = spec.input(param.name)
            expected = param_help(param) if param.description or port is None else port_help(port)
            assert expected in tip, (node.type, param.name)
            fields += 1
        labels = [
            label for label in panel.findChildren(QLabel, "fieldLabel") if label.isVisibleTo(panel)
        ]
        assert labels and all(label.toolTip().strip() for label in labels), node.type
    assert fields == sum(len(s.params) for s in default_catalog())


def test_a_port_without_a_description_falls_back_to_its_type_and_need() -> None:
    bare = PortSpec(name="ref", type=PortType.IMAGE, required=False)
    info = PortInfo(
        name="ref", label="ref", type=PortType.IMAGE, description=port_help(bare), required=False
    )
    tip = port_tooltip(info)
    assert "Optional: wire an image here." in tip and "optional" in tip
    assert field_tooltip(None, bare).startswith("Optional: wire an image here.")
    param = ParamSpec(name="steps", kind=ParamKind.INTEGER, default=20)
    assert field_tooltip(param, None) == "Optional whole number setting.\nDefault: 20"
