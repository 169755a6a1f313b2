"""The built-in local node types as the palette, properties panel and validator see them."""

from __future__ import annotations

import json

import pytest

from engine.catalog import Category, NodeSpec, ParamKind, PortType, default_catalog
from engine.nodes.inputs import INPUT_PORTS, input_name
from engine.nodes.outputs import OUTPUT_PORTS, output_name

LOCAL_TYPES = {
    "input.text",
    "input.number",
    "input.image",
    "input.json",
    "text.template",
    "text.concat",
    "text.split_lines",
    "json.extract",
    "math.expression",
    "list.join",
    "list.pick",
    "list.pick_image",
    "image.load",
    "image.save",
    "image.resize",
    "image.crop",
    "image.rotate",
    "image.adjust",
    "image.composite",
    "image.caption",
    "image.grid",
    "output.image",
    "output.text",
    "output.json",
}

#: Parameter kinds that may stand in for an unwired port of this type.
_PARAM_FOR_PORT = {
    PortType.TEXT: {ParamKind.STRING, ParamKind.TEXT, ParamKind.FILE},
    PortType.NUMBER: {ParamKind.NUMBER, ParamKind.INTEGER},
}


def _local_specs() -> list[NodeSpec]:
    catalog = default_catalog()
    return [catalog.spec(t) for t in sorted(LOCAL_TYPES)]


def test_default_catalog_has_every_local_node_type() -> None:
    assert {spec.type for spec in default_catalog()} >= LOCAL_TYPES


@pytest.mark.parametrize("spec", _local_specs(), ids=lambda s: s.type)
def test_spec_is_complete_for_the_palette_and_properties_panel(spec: NodeSpec) -> None:
    assert spec.display_name.strip() and spec.description.strip()
    assert spec.aliases, "aliases make the node findable in search"
    assert spec.provider == "local"
    assert spec.pricing.estimate(spec.resolved_params({})) == 0
    for group in (spec.inputs, spec.outputs, spec.params):
        names = [item.name for item in group]
        assert len(names) == len(set(names)), f"duplicate names in {names}"
    for port in (*spec.inputs, *spec.outputs):
        assert port.description, f"port {port.name} has no description"
    for param in spec.params:
        assert param.description, f"param {param.name} has no description"
        if param.default is not None:
            assert param.check(param.default) is None, f"default of {param.name} is invalid"
        if param.kind == ParamKind.ENUM:
            assert param.choices and param.default in param.choices


@pytest.mark.parametrize("spec", _local_specs(), ids=lambda s: s.type)
def test_a_parameter_named_like_an_input_is_its_unwired_fallback(spec: NodeSpec) -> None:
    for port in spec.inputs:
        param = spec.param(port.name)
        if param is None:
            continue
        assert not port.required, f"{port.name} has a parameter fallback, so it is optional"
        assert param.kind in _PARAM_FOR_PORT[port.type]


def test_categories_put_inputs_and_outputs_at_the_ends_of_the_palette() -> None:
    catalog = default_catalog()
    assert {catalog.spec(t).category for t in INPUT_PORTS} == {Category.INPUT}
    assert {catalog.spec(t).category for t in OUTPUT_PORTS} == {Category.OUTPUT}
    assert catalog.spec("image.caption").category == Category.EDITING
    assert catalog.spec("text.template").category == Category.TEXT


def test_input_and_output_nodes_publish_one_port_named_after_their_type() -> None:
    catalog = default_catalog()
    for node_type, port in INPUT_PORTS.items():
        spec = catalog.spec(node_type)
        assert [p.name for p in spec.outputs] == [port] and not spec.inputs
        assert {"name", "default"} <= {p.name for p in spec.params}
    for node_type, port in OUTPUT_PORTS.items():
        spec = catalog.spec(node_type)
        assert [p.name for p in spec.inputs] == [p.name for p in spec.outputs] == [port]
        assert spec.inputs[0].type == spec.outputs[0].type


def test_run_input_and_output_names_default_to_the_node_id() -> None:
    assert input_name("brief", {"name": ""}) == "brief"
    assert input_name("brief", {"name": " prompt "}) == "prompt"
    assert output_name("out1", {}) == "out1"
    assert output_name("out1", {"name": "poster"}) == "poster"


def test_list_ports_are_marked_for_batches() -> None:
    catalog = default_catalog()
    assert catalog.spec("text.split_lines").output("lines").is_list  # type: ignore[union-attr]
    for node_type, port in (
        ("list.join", "items"),
        ("list.pick", "items"),
        ("image.grid", "images"),
    ):
        assert catalog.spec(node_type).input(port).is_list  # type: ignore[union-attr]


def test_catalog_export_is_json() -> None:
    exported = json.loads(json.dumps(default_catalog().export()))
    by_type = {node["type"]: node for node in exported["nodes"]}
    resize = by_type["image.resize"]
    assert resize["paramsSchema"]["properties"]["mode"]["enum"] == ["fit", "fill", "pad", "stretch"]
