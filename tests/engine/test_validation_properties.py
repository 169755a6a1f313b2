"""Property tests: the validator never raises, whatever it is given; it only reports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import InvalidWorkflowError
from engine.validation import Violation, ViolationCode, check_workflow, is_valid, validate
from tests.engine.conftest import TEST_SPECS, build_test_catalog

CATALOG = build_test_catalog()
SETTINGS = settings(max_examples=100, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    # beyond what a float holds, and what str() of an int allows (4300 digits)
    | st.builds(
        lambda sign, digits: sign * 10**digits,
        st.sampled_from([1, -1]),
        st.sampled_from([20, 400, 5000]),
    )
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=12,
)

#: A wrong value for a field: cheap to generate (json_values covers deep ones).
wrong_values = (
    scalars
    | st.lists(scalars, max_size=2)
    | st.dictionaries(st.text(max_size=3), scalars, max_size=2)
)


# Names the validator looks for, so arbitrary documents reach its deeper checks.
IDS = st.sampled_from(["a", "b", "c", "d", "", "a-2"])
TYPES = st.sampled_from([s.type for s in TEST_SPECS] + ["test.nope", "image.resize"])
PORTS = st.sampled_from(
    sorted({p.name for s in TEST_SPECS for p in (*s.inputs, *s.outputs)} | {"nope"})
)
PARAM_VALUES = st.dictionaries(
    st.sampled_from(sorted({p.name for s in TEST_SPECS for p in s.params} | {"prompt", "x"})),
    wrong_values,
    max_size=4,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a plausible value, sometimes (one time in eight) a wrong one."""
    wrong = st.sampled_from([False] * 7 + [True])
    return wrong.flatmap(lambda is_wrong: wrong_values if is_wrong else strategy)


plausible_nodes = st.fixed_dictionaries(
    {"id": maybe(IDS), "type": maybe(TYPES)},
    optional={
        "data": maybe(PARAM_VALUES),
        "position": maybe(st.fixed_dictionaries({"x": st.integers(), "y": st.floats()})),
        "label": wrong_values,
    },
)
plausible_edges = st.fixed_dictionaries(
    {
        "id": maybe(IDS),
        "source": maybe(IDS),
        "sourceHandle": maybe(PORTS),
        "target": maybe(IDS),
        "targetHandle": maybe(PORTS),
    }
)
plausible_documents = st.fixed_dictionaries(
    {
        "nodes": maybe(st.lists(plausible_nodes, max_size=8)),
        "edges": maybe(st.lists(plausible_edges, max_size=12)),
    },
    optional={
        "schemaVersion": maybe(st.sampled_from([0, 1, 1, 1, 1, 2])),
        "name": wrong_values,
        "metadata": wrong_values,
        "extra": wrong_values,
    },
)


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid DAG: text sources feeding a chain of test.upper into a join."""
    sources = draw(st.integers(min_value=1, max_value=4))
    chain = draw(st.integers(min_value=0, max_value=6))
    nodes: list[dict[str, Any]] = [
        {"id": f"t{i}", "type": "test.text", "data": {"name": f"t{i}"}} for i in range(sources)
    ]
    edges: list[dict[str, Any]] = []
    previous = "t0"
    for i in range(chain):
        nodes.append({"id": f"u{i}", "type": "test.upper", "data": {}})
        edges.append(_edge(f"c{i}", previous, f"u{i}", "text"))
        previous = f"u{i}"
    nodes.append({"id": "join", "type": "test.join", "data": {"separator": ", "}})
    edges.append(_edge("last", previous, "join", "texts"))
    edges.extend(_edge(f"s{i}", f"t{i}", "join", "texts") for i in range(1, sources))
    return {"schemaVersion": 1, "name": "generated", "nodes": nodes, "edges": edges}


def _edge(edge_id: str, source: str, target: str, target_handle: str) -> dict[str, Any]:
    return {
        "id": edge_id,
        "source": source,
        "sourceHandle": "text",
        "target": target,
        "targetHandle": target_handle,
    }


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """A valid document with a few of its values replaced, removed or duplicated."""
    document = draw(valid_documents())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        container, key = _pick_slot(draw, document)
        action = draw(st.sampled_from(["replace", "delete", "duplicate", "plausible"]))
        if action == "replace":
            container[key] = draw(json_values)
        elif action == "delete" and isinstance(container, dict):
            del container[key]
        elif action == "duplicate" and isinstance(container, list):
            container.append(container[key])
        else:
            container[key] = draw(maybe(IDS | PORTS | TYPES))
    return document


def _pick_slot(draw: st.DrawFn, document: dict[str, Any]) -> tuple[Any, Any]:
    """A random (container, key) inside ``document``, walking down from the top."""
    container: Any = document
    key: Any = draw(st.sampled_from(sorted(document)))
    while isinstance(container[key], dict | list) and container[key] and draw(st.booleans()):
        container = container[key]
        keys = sorted(container) if isinstance(container, dict) else range(len(container))
        key = draw(st.sampled_from(list(keys)))
    return container, key


def assert_only_reports(document: Any) -> list[Violation]:
    """The contract: a list of violations, none of them the validator's own failure."""
    found = validate(document, CATALOG)
    assert isinstance(found, list)
    assert all(isinstance(v, Violation) for v in found)
    assert not [v for v in found if v.code == ViolationCode.INTERNAL_ERROR]
    json.dumps([v.to_json() for v in found])  # every report is plain JSON
    return found


@SETTINGS
@given(json_values)
def test_arbitrary_json_never_raises(document: Any) -> None:
    assert_only_reports(document)


@SETTINGS
@given(st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_arbitrary_objects_never_raise(document: dict[str, Any]) -> None:
    assert_only_reports(document)


@SETTINGS
@given(plausible_documents)
def test_plausible_documents_never_raise_and_agree_with_check_workflow(
    document: dict[str, Any],
) -> None:
    found = assert_only_reports(document)
    assert validate(document, CATALOG) == found  # deterministic
    if is_valid(found):
        check_workflow(document, CATALOG)
    else:
        with pytest.raises(InvalidWorkflowError):
            check_workflow(document, CATALOG)


@SETTINGS
@given(valid_documents())
def test_generated_valid_workflows_have_no_violations(document: dict[str, Any]) -> None:
    assert validate(document, CATALOG) == []


@SETTINGS
@given(mutated_documents())
def test_mutated_workflows_never_raise(document: Any) -> None:
    assert_only_reports(document)


@SETTINGS
@given(st.integers(min_value=0, max_value=5000), st.sampled_from(["data", "metadata", "id"]))
def test_deep_nesting_anywhere_never_raises(depth: int, where: str) -> None:
    value: Any = "x"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    node: dict[str, Any] = {"id": "a", "type": "test.upper", "data": {"text": "t"}}
    document: dict[str, Any] = {"nodes": [node], "edges": []}
    if where == "data":
        node["data"]["deep"] = value
    elif where == "metadata":
        document["metadata"] = value
    else:
        node["id"] = value
    assert_only_reports(document)
