"""json.extract, math.expression, list.join and list.pick."""

from __future__ import annotations

import time
from typing import Any

import pytest

from engine.errors import PermanentNodeError
from engine.nodes.data import evaluate, parse_path
from engine.values import Batch
from tests.engine.conftest import NodeRunner

DOC = {"a": {"b": [{"c": 1}, {"c": "two", "tags": ["x", "y"]}]}, "odd key": True, "n": 2.5}


def extract(nodes: NodeRunner, path: str, data: Any = DOC, **params: Any) -> dict[str, Any]:
    return nodes.run("json.extract", {"path": path, **params}, {"json": data})


@pytest.mark.parametrize(
    ("path", "value", "text"),
    [
        ("a.b[0].c", 1, "1"),
        ("a.b[-1].c", "two", "two"),
        ("$.a.b[1].tags[1]", "y", "y"),
        ('["odd key"]', True, "true"),
        ("a.b.0.c", 1, "1"),
        ("n", 2.5, "2.5"),
        ("a.b[1].tags", ["x", "y"], '["x", "y"]'),
        ("", DOC, None),
    ],
)
def test_extract_follows_paths(nodes: NodeRunner, path: str, value: Any, text: str | None) -> None:
    out = extract(nodes, path)
    assert out["value"] == value
    if text is not None:
        assert out["text"] == text


def test_extract_parses_json_text(nodes: NodeRunner) -> None:
    assert extract(nodes, "k[0]", '{"k": ["v"]}')["value"] == "v"
    assert extract(nodes, "", "plain words")["text"] == "plain words"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a.missing", "no key 'missing' at a; its keys are 'b'"),
        ("a.b[5]", r"index 5 is out of range at a.b \(the list has 2 items\)"),
        ("a.b[0].c.d", "a.b\\[0\\].c is a number"),
        ("a.b.first", "is a list; use an index"),
    ],
)
def test_extract_missing_values_say_where(nodes: NodeRunner, path: str, message: str) -> None:
    with pytest.raises(PermanentNodeError, match=message):
        extract(nodes, path)


def test_extract_can_output_null_instead_of_failing(nodes: NodeRunner) -> None:
    assert extract(nodes, "a.nope", required=False) == {"value": None, "text": ""}


@pytest.mark.parametrize(("path", "column"), [("a..b", 2), ("a[0", 2), ("a.", 2), ("a[0]b", 5)])
def test_bad_path_syntax_reports_the_character(path: str, column: int) -> None:
    with pytest.raises(PermanentNodeError, match=f"at character {column}") as caught:
        parse_path(path)
    assert caught.value.details["column"] == column


def calc(nodes: NodeRunner, expression: str, **variables: Any) -> Any:
    return nodes.run("math.expression", {"expression": expression}, variables)["result"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("-2 ** 2", -4),
        ("7 // 2 + 7 % 2", 4),
        ("10 / 4", 2.5),
        ("round(a / 12)", 80),
        ("round(2.345, 2)", 2.35),
        ("max(a, b, 3) - min(a, b)", 956),
        ("floor(2.7) + ceil(2.1) + abs(-1)", 6),
        ("sqrt(16) + clamp(a, 0, 100)", 104),
        ("round(pi * 100) / 100", 3.14),
        ("2 ** -1", 0.5),
    ],
)
def test_expression_arithmetic(nodes: NodeRunner, expression: str, expected: float) -> None:
    assert calc(nodes, expression, a=960, b=4) == pytest.approx(expected)


def test_expression_variables_may_be_typed_in_data_or_text(nodes: NodeRunner) -> None:
    out = nodes.run("math.expression", {"expression": "a * b", "a": 3, "b": 2}, {"a": "1.5"})
    assert out == {"result": 3.0}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("a.real", "attribute access"),
        ("(lambda: 1)()", "unknown function"),
        ("[1][0]", "is not allowed"),
        ("'abc'", "only numbers"),
        ("a < b", "comparison"),
        ("x + 1", "unknown name 'x'"),
        ("c + 1", "the c input has no value"),
        ("1 / 0", "division by zero"),
        ("sqrt(-1)", "negative"),
        ("(-8) ** 0.5", "no real result"),
        ("round(1.5, 99)", "digits"),
        ("max(1)", "takes 2 to 50 arguments"),
        ("abs(x=1)", "plain arguments"),
        ("9" * 400, "too large"),
        ("1e999", "not a finite number"),
        ("a" + " + a" * 200, "too long"),
        ("", "empty"),
    ],
)
def test_expression_refuses_anything_but_arithmetic(
    nodes: NodeRunner, expression: str, message: str
) -> None:
    with pytest.raises(PermanentNodeError, match=message):
        calc(nodes, expression, a=1, b=2)


@pytest.mark.parametrize(
    "expression", ["2**99999999", "9**9**9", "(2**1000)**1000", "2**1000 * 2**1000", "1e300**2"]
)
def test_expression_huge_results_fail_fast(expression: str) -> None:
    start = time.perf_counter()
    with pytest.raises(PermanentNodeError, match="too large"):
        evaluate(expression, {})
    assert time.perf_counter() - start < 5, "refused only after computing it"


def test_expression_syntax_error_gives_the_position() -> None:
    with pytest.raises(PermanentNodeError, match="syntax error at character 5") as caught:
        evaluate("1 + * 2", {})
    assert caught.value.details["column"] == 5


def test_expression_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(PermanentNodeError):
        evaluate("(" * 240 + "1" + ")" * 240, {})


def test_join_list_with_separator(nodes: NodeRunner) -> None:
    assert nodes.run("list.join", {}, {"items": ["a", "b", 3]}) == {"text": "a\nb\n3"}
    out = nodes.run(
        "list.join", {"separator": " | ", "skip_empty": True}, {"items": ["a", "", "c"]}
    )
    assert out == {"text": "a | c"}
    assert nodes.run("list.join", {}, {"items": Batch(("x", "y"))}) == {"text": "x\ny"}


@pytest.mark.parametrize(("index", "expected"), [(0, "a"), (2, "c"), (-1, "c"), (-3, "a")])
def test_pick_by_index(nodes: NodeRunner, index: int, expected: str) -> None:
    assert nodes.run("list.pick", {"index": index}, {"items": ["a", "b", "c"]}) == {
        "item": expected
    }


def test_pick_out_of_range_says_what_is_valid(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match=r"index 3 is out of range.*0 to 2"):
        nodes.run("list.pick", {"index": 3}, {"items": ["a", "b", "c"]})
    with pytest.raises(PermanentNodeError, match="the list is empty"):
        nodes.run("list.pick", {}, {"items": []})


def test_pick_image_from_a_batch(nodes: NodeRunner) -> None:
    from PIL import Image

    first, second = (nodes.put_image(Image.new("RGB", (2, 2), c)) for c in ("red", "blue"))
    out = nodes.run("list.pick_image", {"index": -1}, {"items": Batch((first, second))})
    assert out == {"item": second}
