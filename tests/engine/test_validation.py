"""The workflow validator: one test per violation code, plus the every-violation file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

import engine.validation as validation
from engine.catalog import (
    Catalog,
    Category,
    NodeSpec,
    ParamKind,
    ParamSpec,
    PortSpec,
    PortType,
    default_catalog,
)
from engine.errors import InvalidWorkflowError
from engine.validation import (
    MAX_DATA_DEPTH,
    MAX_EDGES,
    MAX_NODES,
    Severity,
    Violation,
    ViolationCode,
    check_workflow,
    is_valid,
    validate,
)
from engine.validation.checks import Checker
from engine.workflow import Workflow

FIXTURES = Path(__file__).parent / "fixtures"
Code = ViolationCode


def node(node_id: str, node_type: str, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "data": data}


def edge(
    edge_id: str, source: str, source_handle: str, target: str, target_handle: str
) -> dict[str, Any]:
    return {
        "id": edge_id,
        "source": source,
        "sourceHandle": source_handle,
        "target": target,
        "targetHandle": target_handle,
    }


def workflow(
    nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"schemaVersion": 1, "name": "test", "nodes": nodes, "edges": edges or []}


def only(violations: list[Violation], code: ViolationCode) -> Violation:
    """The single violation with ``code`` (fails when there are none or several)."""
    matching = [v for v in violations if v.code == code]
    assert len(matching) == 1, f"expected one {code}, got {violations}"
    return matching[0]


def codes(violations: list[Violation]) -> list[str]:
    return [v.code.value for v in violations]


def prompt_to_image() -> dict[str, Any]:
    """A valid workflow: text → generate → caption (with the same text) → output."""
    return workflow(
        [
            node("brief", "test.text", name="brief", default="a red sneaker"),
            node("shot", "test.generate", width=1024, style="photo"),
            node("cap", "test.caption"),
            node("out", "test.output_image"),
        ],
        [
            edge("e1", "brief", "text", "shot", "prompt"),
            edge("e2", "shot", "image", "cap", "image"),
            edge("e3", "brief", "text", "cap", "text"),
            edge("e4", "cap", "image", "out", "image"),
        ],
    )


# -- valid documents ---------------------------------------------------------------


def test_a_valid_workflow_has_no_violations(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    assert validate(document, test_catalog) == []
    parsed = check_workflow(document, test_catalog)
    assert isinstance(parsed, Workflow)
    assert [n.id for n in parsed.nodes] == ["brief", "shot", "cap", "out"]


def test_a_parsed_workflow_is_accepted_as_well(test_catalog: Catalog) -> None:
    parsed = Workflow.model_validate(prompt_to_image())
    assert validate(parsed, test_catalog) == []
    assert check_workflow(parsed, test_catalog) is parsed
    parsed.nodes[1].data["width"] = 1
    assert codes(validate(parsed, test_catalog)) == ["param_out_of_range"]


def test_a_version_0_file_is_migrated_before_it_is_checked(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    del document["schemaVersion"]
    for e in document["edges"]:
        del e["id"]  # version 0 files had no edge ids
    assert validate(document, test_catalog) == []


def test_compatible_port_types_may_be_wired(test_catalog: Catalog) -> None:
    document = workflow(
        [node("n", "test.number", value=3), node("up", "test.upper")],
        [edge("e1", "n", "value", "up", "text")],
    )
    assert validate(document, test_catalog) == []


def test_a_list_input_takes_many_wires(test_catalog: Catalog) -> None:
    document = workflow(
        [node(f"t{i}", "test.text", name=f"t{i}") for i in range(3)] + [node("j", "test.join")],
        [edge(f"e{i}", f"t{i}", "text", "j", "texts") for i in range(3)],
    )
    assert validate(document, test_catalog) == []


def test_the_default_catalog_is_used_when_none_is_given(
    test_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validation, "default_catalog", lambda: test_catalog)
    assert validate(prompt_to_image()) == []
    assert codes(validate(workflow([node("x", "test.nope")]))) == ["unknown_node_type"]


# -- the document ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "kind"),
    [(None, "null"), ([], "a list"), ("{}", "a string"), (3.5, "a number"), (True, "a boolean")],
)
def test_a_document_that_is_not_an_object_is_reported(
    test_catalog: Catalog, document: Any, kind: str
) -> None:
    (violation,) = validate(document, test_catalog)
    assert violation.code == Code.INVALID_DOCUMENT
    assert violation.message.endswith(kind)
    assert violation.hint is not None and "schemaVersion" in violation.hint


def test_each_shape_problem_is_its_own_violation_with_its_json_path(
    test_catalog: Catalog,
) -> None:
    document = prompt_to_image()
    document["nodes"][1]["position"] = {"x": "left", "y": 0}
    document["nodes"][2]["id"] = 7
    document["edges"][0]["targetHandle"] = None
    document["schemaversion"] = 1
    found = [v for v in validate(document, test_catalog) if v.code == Code.INVALID_DOCUMENT]
    by_field = {v.field: v for v in found}
    assert set(by_field) == {
        "nodes[1].position.x",
        "nodes[2].id",
        "edges[0].targetHandle",
        "schemaversion",
    }
    assert by_field["nodes[1].position.x"].node_id == "shot"
    assert "must be a number" in by_field["nodes[1].position.x"].message
    assert by_field["edges[0].targetHandle"].edge_id == "e1"
    assert by_field["schemaversion"].hint == "did you mean `schemaVersion`?"


def test_a_malformed_part_does_not_hide_problems_elsewhere(test_catalog: Catalog) -> None:
    document = workflow(
        [node("a", "test.upper"), node("b", "test.upper"), node("c", "test.genrate")],
        [
            edge("e1", "a", "text", "b", "text"),
            edge("e2", "b", "text", "a", "text"),
            {"id": "e3", "source": "a"},
        ],
    )
    document["nodes"][0]["position"] = "top left"
    found = codes(validate(document, test_catalog))
    assert found.count("invalid_document") == 4  # position, e3's three missing fields
    assert "cycle" in found
    assert "unknown_node_type" in found


def test_shape_problems_are_capped_with_a_summary(test_catalog: Catalog) -> None:
    document = workflow([{"id": i} for i in range(80)])
    shape = [v for v in validate(document, test_catalog) if v.code == Code.INVALID_DOCUMENT]
    assert len(shape) == 101
    assert shape[-1].message == "… and 60 more shape problems"


@pytest.mark.parametrize(
    ("version", "hint"),
    [
        (2, "update Patchbay to open this file"),
        (10**40, "update Patchbay to open this file"),
        ("1", "set schemaVersion to 1"),
        (None, "set schemaVersion to 1"),
        (-1, "set schemaVersion to 1"),
    ],
)
def test_an_unsupported_schema_version_is_reported_alone(
    test_catalog: Catalog, version: Any, hint: str
) -> None:
    document = workflow([node("x", "test.nope")])
    document["schemaVersion"] = version
    (violation,) = validate(document, test_catalog)
    assert violation.code == Code.UNSUPPORTED_SCHEMA_VERSION
    assert violation.field == "schemaVersion"
    assert violation.hint == hint


def test_a_parsed_workflow_of_a_newer_version_is_refused(test_catalog: Catalog) -> None:
    (violation,) = validate(Workflow(schema_version=2), test_catalog)
    assert violation.code == Code.UNSUPPORTED_SCHEMA_VERSION
    assert violation.hint == "update Patchbay to open this file"


def test_more_than_100_nodes_is_reported(test_catalog: Catalog) -> None:
    nodes = [node(f"n{i}", "test.text", name=f"n{i}") for i in range(MAX_NODES)]
    assert validate(workflow(nodes), test_catalog) == []
    nodes.append(node("one-too-many", "test.text", name="x"))
    (violation,) = validate(workflow(nodes), test_catalog)
    assert violation.code == Code.TOO_MANY_NODES
    assert violation.field == "nodes"
    assert "101 nodes" in violation.message and "100" in violation.message


def test_more_than_500_edges_is_reported(test_catalog: Catalog) -> None:
    nodes = [node("t", "test.text", name="t"), node("j", "test.join")]
    edges = [edge(f"e{i}", "t", "text", "j", "texts") for i in range(MAX_EDGES)]
    assert validate(workflow(nodes, edges), test_catalog) == []
    edges.append(edge("extra", "t", "text", "j", "texts"))
    (violation,) = validate(workflow(nodes, edges), test_catalog)
    assert violation.code == Code.TOO_MANY_EDGES
    assert violation.field == "edges"
    assert "501 edges" in violation.message


def nested(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = {"inner": value}
    return value


def test_data_nested_deeper_than_10_levels_is_reported(test_catalog: Catalog) -> None:
    # ``data`` itself is level 1, so options may hold MAX_DATA_DEPTH - 1 more levels.
    ok = workflow([node("g", "test.generate", prompt="p", options=nested(MAX_DATA_DEPTH - 1))])
    assert validate(ok, test_catalog) == []
    deep = workflow([node("g", "test.generate", prompt="p", options=nested(MAX_DATA_DEPTH))])
    violation = only(validate(deep, test_catalog), Code.DATA_TOO_DEEP)
    assert violation.node_id == "g"
    assert violation.field == "data.options"
    assert violation.hint is not None


def test_a_100_000_deep_list_is_reported_without_exhausting_the_stack(
    test_catalog: Catalog,
) -> None:
    value: list[Any] = []
    for _ in range(100_000):
        value = [value]
    document = workflow([node("g", "test.generate", prompt="p", options=value)])
    document["metadata"] = {"deep": value}
    assert codes(validate(document, test_catalog)) == ["data_too_deep"]


# -- nodes -------------------------------------------------------------------------


def test_a_duplicate_node_id_is_reported_on_the_second_node(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    document["nodes"].append(node("shot", "test.text", name="again"))
    violation = only(validate(document, test_catalog), Code.DUPLICATE_NODE_ID)
    assert violation.node_id == "shot"
    assert violation.field == "id"
    assert violation.hint == "give each node its own id, e.g. `shot-2`"


def test_an_unknown_node_type_is_reported_with_the_closest_type(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    document["nodes"][1]["type"] = "test.generat"
    violation = only(validate(document, test_catalog), Code.UNKNOWN_NODE_TYPE)
    assert violation.node_id == "shot"
    assert violation.field == "type"
    assert violation.hint == "did you mean `test.generate`?"


def test_an_unknown_type_matching_an_alias_suggests_that_type(test_catalog: Catalog) -> None:
    violation = only(
        validate(workflow([node("x", "test.imagine")]), test_catalog), Code.UNKNOWN_NODE_TYPE
    )
    assert violation.hint == "did you mean `test.generate`?"


def test_an_unknown_type_with_nothing_similar_points_to_the_catalog(test_catalog: Catalog) -> None:
    violation = only(validate(workflow([node("x", "zzz")]), test_catalog), Code.UNKNOWN_NODE_TYPE)
    assert violation.hint is not None and "patchbay catalog" in violation.hint


def test_edges_of_a_node_of_unknown_type_skip_its_port_checks(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    document["nodes"][1]["type"] = "vendor.flux"
    document["edges"][0]["targetHandle"] = "anything"
    document["edges"][1]["sourceHandle"] = "whatever"
    assert codes(validate(document, test_catalog)) == ["unknown_node_type"]


def test_a_required_input_neither_wired_nor_set_is_reported(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    del document["edges"][0]  # brief → shot.prompt
    violation = only(validate(document, test_catalog), Code.REQUIRED_INPUT_MISSING)
    assert violation.node_id == "shot"
    assert violation.field == "prompt"
    assert "text" in violation.message
    assert violation.hint == "connect a text output to `prompt`, or type a value for it"


def test_an_empty_text_counts_as_missing_and_a_typed_value_as_set(test_catalog: Catalog) -> None:
    document = workflow([node("g", "test.generate", prompt="")])
    assert codes(validate(document, test_catalog)) == ["required_input_missing"]
    document = workflow([node("g", "test.generate", prompt="a cat")])
    assert validate(document, test_catalog) == []


def test_a_missing_media_input_hints_at_wiring_only(test_catalog: Catalog) -> None:
    violation = only(
        validate(workflow([node("o", "test.output_image")]), test_catalog),
        Code.REQUIRED_INPUT_MISSING,
    )
    assert violation.hint == "connect an image output to `image`"


def test_a_required_parameter_without_default_is_reported(test_catalog: Catalog) -> None:
    violation = only(
        validate(workflow([node("t", "test.text", default="x")]), test_catalog),
        Code.REQUIRED_PARAM_MISSING,
    )
    assert violation.node_id == "t"
    assert violation.field == "name"
    assert violation.hint == "set `name` to a string"


@pytest.mark.parametrize(
    ("param", "value", "hint"),
    [
        ("width", "wide", "set `width` to a whole number"),
        ("width", 512.5, "set `width` to a whole number"),
        ("width", True, "set `width` to a whole number"),
        ("strength", "0.5", "set `strength` to a number"),
        ("upscale", 1, "set `upscale` to true or false"),
        ("tint", "red", 'set `tint` to a colour such as "#ff8800"'),
    ],
)
def test_a_parameter_of_the_wrong_type_is_reported(
    test_catalog: Catalog, param: str, value: Any, hint: str
) -> None:
    document = workflow([node("g", "test.generate", prompt="p", **{param: value})])
    violation = only(validate(document, test_catalog), Code.PARAM_WRONG_TYPE)
    assert violation.node_id == "g"
    assert violation.field == param
    assert violation.hint == hint


@pytest.mark.parametrize(
    ("param", "value", "hint"),
    [
        ("width", 4096, "use a value from 64 to 2048"),
        ("width", 10, "use a value from 64 to 2048"),
        ("seed", -1, "use a value of at least 0"),
    ],
)
def test_a_parameter_out_of_range_is_reported(
    test_catalog: Catalog, param: str, value: Any, hint: str
) -> None:
    document = workflow([node("g", "test.generate", prompt="p", **{param: value})])
    violation = only(validate(document, test_catalog), Code.PARAM_OUT_OF_RANGE)
    assert (violation.node_id, violation.field, violation.hint) == ("g", param, hint)
    assert str(value) in violation.message


def test_a_parameter_not_among_its_choices_is_reported(test_catalog: Catalog) -> None:
    document = workflow([node("g", "test.generate", prompt="p", style="skecth")])
    violation = only(validate(document, test_catalog), Code.PARAM_NOT_IN_ENUM)
    assert (violation.node_id, violation.field) == ("g", "style")
    assert violation.hint == "did you mean `sketch`?"
    document = workflow([node("g", "test.generate", prompt="p", style=3)])
    violation = only(validate(document, test_catalog), Code.PARAM_NOT_IN_ENUM)
    assert violation.hint == "choose one of `photo`, `sketch`, `anime`"


def test_numbers_too_large_to_print_are_still_reported(test_catalog: Catalog) -> None:
    document = workflow(
        [node("g", "test.generate", prompt="p", width=10**5000, strength=-(10**400))]
    )
    found = validate(document, test_catalog)
    assert [(v.code.value, v.field) for v in found] == [
        ("param_out_of_range", "width"),
        ("param_wrong_type", "strength"),
    ]
    assert "a huge number" in found[0].message


def test_a_null_parameter_means_unset(test_catalog: Catalog) -> None:
    document = workflow([node("g", "test.generate", prompt="p", width=None, style=None)])
    assert validate(document, test_catalog) == []


def test_an_unknown_parameter_is_only_a_warning(test_catalog: Catalog) -> None:
    document = workflow([node("g", "test.generate", prompt="p", widht=512)])
    found = validate(document, test_catalog)
    violation = only(found, Code.UNKNOWN_PARAM)
    assert violation.severity == Severity.WARNING
    assert (violation.node_id, violation.field) == ("g", "widht")
    assert violation.hint == "did you mean `width`?"
    assert is_valid(found)
    assert check_workflow(document, test_catalog).nodes[0].data["widht"] == 512


def test_an_input_value_in_data_is_not_an_unknown_parameter(test_catalog: Catalog) -> None:
    document = workflow([node("u", "test.upper", text="hello")])
    assert validate(document, test_catalog) == []


# -- edges -------------------------------------------------------------------------


def test_a_duplicate_edge_id_is_reported_on_the_second_edge(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    document["edges"][3]["id"] = "e2"
    violation = only(validate(document, test_catalog), Code.DUPLICATE_EDGE_ID)
    assert violation.edge_id == "e2"
    assert violation.field == "id"
    assert violation.hint is not None


@pytest.mark.parametrize("end", ["source", "target"])
def test_an_edge_to_an_unknown_node_suggests_the_closest_node(
    test_catalog: Catalog, end: str
) -> None:
    document = prompt_to_image()
    document["edges"][1][end] = "shto" if end == "source" else "kap"
    violation = only(validate(document, test_catalog), Code.UNKNOWN_NODE)
    assert violation.edge_id == "e2"
    assert violation.field == end
    assert violation.hint == (
        "did you mean node `shot`?" if end == "source" else "did you mean node `cap`?"
    )


def test_an_edge_to_a_node_that_is_nowhere_close(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    document["edges"][0]["source"] = "qqqqqqqq"
    violation = only(validate(document, test_catalog), Code.UNKNOWN_NODE)
    assert violation.hint == "connect it to an existing node or delete the edge"


def test_an_unknown_input_port_suggests_the_closest_port(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    document["edges"][0]["targetHandle"] = "promt"
    violation = only(validate(document, test_catalog), Code.UNKNOWN_PORT)
    assert (violation.edge_id, violation.node_id, violation.field) == ("e1", "shot", "targetHandle")
    assert violation.hint == "did you mean port `prompt`?"


def test_an_unknown_output_port_lists_the_outputs(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    document["edges"][1]["sourceHandle"] = "result"
    violation = only(validate(document, test_catalog), Code.UNKNOWN_PORT)
    assert (violation.edge_id, violation.node_id, violation.field) == ("e2", "shot", "sourceHandle")
    assert violation.hint == "`test.generate` has outputs `image`"


def test_an_input_used_as_an_output_says_so(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    document["edges"][1]["sourceHandle"] = "style_image"
    violation = only(validate(document, test_catalog), Code.UNKNOWN_PORT)
    assert violation.hint == "`style_image` is an input; wire it the other way round"


def test_a_port_type_mismatch_names_both_types(test_catalog: Catalog) -> None:
    document = workflow(
        [node("t", "test.text", name="t"), node("cap", "test.caption")],
        [edge("e1", "t", "text", "cap", "image")],
    )
    violation = only(validate(document, test_catalog), Code.PORT_TYPE_MISMATCH)
    assert (violation.edge_id, violation.node_id, violation.field) == ("e1", "cap", "targetHandle")
    assert "gives text" in violation.message and "takes image" in violation.message
    assert violation.hint == "did you mean port `text`?"


def test_a_second_wire_into_a_single_input_is_reported(test_catalog: Catalog) -> None:
    document = prompt_to_image()
    document["nodes"].append(node("other", "test.text", name="other"))
    document["edges"].append(edge("e5", "other", "text", "shot", "prompt"))
    violation = only(validate(document, test_catalog), Code.INPUT_ALREADY_CONNECTED)
    assert (violation.edge_id, violation.node_id, violation.field) == ("e5", "shot", "targetHandle")
    assert violation.hint == "remove this edge or edge `e1`"


# -- cycles ------------------------------------------------------------------------


def ring(*ids: str) -> list[dict[str, Any]]:
    """Edges ids[0] → ids[1] → … → ids[0] through test.upper nodes."""
    pairs = zip(ids, ids[1:] + ids[:1], strict=True)
    return [edge(f"{a}-{b}", a, "text", b, "text") for a, b in pairs]


def test_a_cycle_is_reported_once_with_its_path(test_catalog: Catalog) -> None:
    nodes = [node(i, "test.upper") for i in ("a", "b", "c")]
    violation = only(validate(workflow(nodes, ring("a", "b", "c")), test_catalog), Code.CYCLE)
    assert violation.path == ("a", "b", "c", "a")
    assert "a → b → c → a" in violation.message
    assert violation.node_id == "a"
    assert violation.edge_id == "c-a"
    assert violation.hint is not None and "`c-a`" in violation.hint
    assert violation.to_json()["path"] == ["a", "b", "c", "a"]


def test_a_node_wired_to_itself_is_a_cycle(test_catalog: Catalog) -> None:
    document = workflow([node("a", "test.upper")], [edge("e1", "a", "text", "a", "text")])
    violation = only(validate(document, test_catalog), Code.CYCLE)
    assert violation.path == ("a", "a")


def test_separate_cycles_are_each_reported(test_catalog: Catalog) -> None:
    nodes = [node(i, "test.upper") for i in ("a", "b", "x", "y")]
    found = validate(workflow(nodes, ring("x", "y") + ring("a", "b")), test_catalog)
    assert [v.path for v in found] == [("a", "b", "a"), ("x", "y", "x")]


def test_loops_sharing_nodes_are_one_report(test_catalog: Catalog) -> None:
    nodes = [node("a", "test.upper"), node("b", "test.upper"), node("j", "test.join")]
    edges = [
        edge("ab", "a", "text", "b", "text"),
        edge("bj", "b", "text", "j", "texts"),
        edge("ja", "j", "text", "a", "text"),
        edge("jb", "j", "text", "b", "text"),
    ]
    found = validate(workflow(nodes, edges), test_catalog)
    cycle = only(found, Code.CYCLE)
    assert cycle.path == ("a", "b", "j", "a")
    assert codes(found) == ["input_already_connected", "cycle"]


# -- the API -----------------------------------------------------------------------


def test_violations_dump_to_camel_case_json_without_nulls() -> None:
    violation = Violation(
        code=Code.UNKNOWN_PORT, message="m", node_id="n", edge_id="e", field="targetHandle"
    )
    assert violation.to_json() == {
        "code": "unknown_port",
        "message": "m",
        "severity": "error",
        "nodeId": "n",
        "edgeId": "e",
        "field": "targetHandle",
    }
    assert Violation.model_validate(violation.to_json()) == violation


def test_is_valid_ignores_warnings() -> None:
    warning = Violation(code=Code.UNKNOWN_PARAM, message="w", severity=Severity.WARNING)
    error = Violation(code=Code.CYCLE, message="c")
    assert is_valid([]) and is_valid([warning])
    assert not is_valid([warning, error])


def test_check_workflow_raises_with_every_violation(test_catalog: Catalog) -> None:
    document = workflow([node("g", "test.generate", widht=1, width=1)])
    with pytest.raises(InvalidWorkflowError) as caught:
        check_workflow(document, test_catalog)
    assert codes(caught.value.violations) == [
        "param_out_of_range",
        "required_input_missing",
        "unknown_param",  # warnings come after the errors
    ]
    assert "below the minimum" in str(caught.value)


def test_check_workflow_refuses_a_malformed_document(test_catalog: Catalog) -> None:
    with pytest.raises(InvalidWorkflowError) as caught:
        check_workflow({"nodes": "none"}, test_catalog)
    assert codes(caught.value.violations) == ["invalid_document"]


def test_violations_come_in_document_order(test_catalog: Catalog) -> None:
    document = workflow(
        [node("first", "test.generate", width=1), node("second", "test.nope")],
        [edge("e1", "x", "text", "first", "prompt"), edge("e2", "second", "a", "first", "b")],
    )
    found = validate(document, test_catalog)
    assert [(v.code.value, v.node_id, v.edge_id) for v in found] == [
        ("param_out_of_range", "first", None),
        ("unknown_node_type", "second", None),
        ("unknown_node", None, "e1"),
        ("unknown_port", "first", "e2"),
    ]
    assert validate(document, test_catalog) == found


def test_a_validator_failure_is_reported_not_raised(
    test_catalog: Catalog, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: Checker) -> list[Violation]:
        raise RuntimeError("boom")

    monkeypatch.setattr(Checker, "run", broken)
    with caplog.at_level(logging.ERROR, logger="engine.validation"):
        (violation,) = validate(prompt_to_image(), test_catalog)
    assert violation.code == Code.INTERNAL_ERROR
    assert "RuntimeError" in violation.message
    assert "boom" in caplog.text


# -- the every-violation file --------------------------------------------------------


def image_catalog() -> Catalog:
    """The parts of the shipped image.* node types that every_violation relies on."""
    image = PortSpec(name="image", type=PortType.IMAGE)
    specs = [
        NodeSpec(
            type="image.load",
            category=Category.EDITING,
            display_name="Load",
            inputs=(PortSpec(name="path", type=PortType.TEXT, required=False),),
            outputs=(image, PortSpec(name="name", type=PortType.TEXT)),
            params=(ParamSpec(name="path", kind=ParamKind.FILE, default=""),),
        ),
        NodeSpec(
            type="image.resize",
            category=Category.EDITING,
            display_name="Resize",
            inputs=(image,),
            outputs=(image,),
            params=(
                ParamSpec(
                    name="width", kind=ParamKind.INTEGER, default=512, minimum=0, maximum=16384
                ),
                ParamSpec(
                    name="height", kind=ParamKind.INTEGER, default=0, minimum=0, maximum=16384
                ),
                ParamSpec(
                    name="mode",
                    kind=ParamKind.ENUM,
                    default="fit",
                    choices=("fit", "fill", "pad", "stretch"),
                ),
            ),
        ),
        NodeSpec(
            type="image.rotate",
            category=Category.EDITING,
            display_name="Rotate",
            inputs=(image,),
            outputs=(image,),
        ),
        NodeSpec(
            type="image.save",
            category=Category.EDITING,
            display_name="Save",
            inputs=(image,),
            outputs=(image, PortSpec(name="path", type=PortType.TEXT)),
            params=(ParamSpec(name="filename", kind=ParamKind.STRING, default="out.png"),),
        ),
    ]
    catalog = Catalog()
    for spec in specs:
        catalog.register(spec, lambda context, inputs: {})
    return catalog


#: What every_violation.patchbay.json must report: (code, nodeId, edgeId, field).
EVERY_VIOLATION = [
    ("invalid_document", "spin_b", None, "nodes[8].position.x"),
    ("too_many_nodes", None, None, "nodes"),
    ("too_many_edges", None, None, "edges"),
    ("param_out_of_range", "resize", None, "width"),
    ("param_wrong_type", "resize", None, "height"),
    ("param_not_in_enum", "resize", None, "mode"),
    ("duplicate_node_id", "load", None, "id"),
    ("data_too_deep", "deep", None, "data.meta"),
    ("unknown_param", "deep", None, "meta"),
    ("unknown_node_type", "mystery", None, "type"),
    ("required_input_missing", "save", None, "image"),
    ("input_already_connected", "resize", "e2", "targetHandle"),
    ("port_type_mismatch", "rotate", "e3", "targetHandle"),
    ("unknown_port", "save", "e4", "targetHandle"),
    ("unknown_node", None, "e5", "source"),
    ("duplicate_edge_id", None, "e1", "id"),
    ("cycle", "spin_a", "e7", None),
]


def check_every_violation(found: list[Violation]) -> None:
    assert [(v.code.value, v.node_id, v.edge_id, v.field) for v in found] == EVERY_VIOLATION
    assert all(v.hint for v in found if v.code != Code.INVALID_DOCUMENT)
    every_code = set(ViolationCode) - {
        Code.UNSUPPORTED_SCHEMA_VERSION,  # stops validation: cannot share a file with the others
        Code.REQUIRED_PARAM_MISSING,  # no image.* node has a required parameter
        Code.INTERNAL_ERROR,
    }
    assert {v.code for v in found} == every_code


def test_the_every_violation_file_reports_each_violation_with_its_own_code() -> None:
    document = json.loads((FIXTURES / "every_violation.patchbay.json").read_text())
    check_every_violation(validate(document, image_catalog()))


def test_the_every_violation_file_against_the_shipped_catalog() -> None:
    document = json.loads((FIXTURES / "every_violation.patchbay.json").read_text())
    check_every_violation(validate(document, default_catalog()))
