"""text.template, text.concat and text.split_lines."""

from __future__ import annotations

import pytest

from engine.errors import PermanentNodeError
from engine.values import Batch
from tests.engine.conftest import NodeRunner


def template(nodes: NodeRunner, text: str, **inputs: object) -> str:
    out = nodes.run("text.template", {"template": text}, inputs)
    return str(out["text"])


def test_template_fills_inputs_and_vars(nodes: NodeRunner) -> None:
    result = template(
        nodes, "A poster of {a} in {style}, {b}", a="a fox", b="dusk", vars={"style": "ink"}
    )
    assert result == "A poster of a fox in ink, dusk"


def test_template_formats_numbers_and_keeps_literal_braces(nodes: NodeRunner) -> None:
    assert template(nodes, "{a:.2f} {{raw}} {b}", a=3.14159, b=2.0) == "3.14 {raw} 2"
    assert template(nodes, "{a!r}", a="x") == "'x'"


def test_template_vars_may_arrive_as_json_text(nodes: NodeRunner) -> None:
    assert template(nodes, "{mood}", vars='{"mood": "calm"}') == "calm"


def test_template_missing_placeholder_lists_what_is_available(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError) as caught:
        template(nodes, "Hello {title}", a="x", vars={"name": "y"})
    message = str(caught.value)
    assert "{title} has no value" in message
    assert "{a}" in message and "{name}" in message
    assert caught.value.details["missing"] == "title"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{a.__class__}", "not allowed"),
        ("{a[0]}", "not allowed"),
        ("{a.__init__.__globals__}", "not allowed"),
        ("{}", "named placeholders"),
        ("{0}", "named placeholders"),
        ("{a:>99999999}", "too wide"),
        ("{a:{b}}", "too wide"),
        ("oops }", "literal braces"),
        ("{a", "literal braces"),
        ("{a:.2f}", "does not apply to text"),
    ],
)
def test_template_refuses_unsafe_or_broken_templates(
    nodes: NodeRunner, text: str, fragment: str
) -> None:
    with pytest.raises(PermanentNodeError, match=fragment):
        template(nodes, text, a="word", b="5000")


def test_template_refuses_vars_that_are_not_an_object(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="vars: expected a JSON object"):
        template(nodes, "{a}", a="x", vars=[1, 2])


def test_concat_joins_wired_and_typed_parts(nodes: NodeRunner) -> None:
    out = nodes.run("text.concat", {"b": "typed", "separator": ", "}, {"a": "wired", "c": 3})
    assert out == {"text": "wired, typed, 3"}


def test_concat_separator_escapes_and_empty_parts(nodes: NodeRunner) -> None:
    params = {"separator": "\\n"}
    assert nodes.run("text.concat", params, {"a": "x", "b": "", "c": "y"}) == {"text": "x\ny"}
    kept = nodes.run("text.concat", {**params, "skip_empty": False}, {"a": "x", "c": "y"})
    assert kept == {"text": "x\n\ny\n"}


def test_split_lines_gives_a_batch_of_trimmed_non_empty_lines(nodes: NodeRunner) -> None:
    out = nodes.run("text.split_lines", {}, {"text": "  fox \n\nowl\r\n  \nbear"})
    assert out == {"lines": Batch(("fox", "owl", "bear"))}


def test_split_lines_options(nodes: NodeRunner) -> None:
    out = nodes.run("text.split_lines", {"text": "a, b,,c", "separator": ","})
    assert out == {"lines": Batch(("a", "b", "c"))}
    raw = nodes.run("text.split_lines", {"strip": False, "skip_empty": False}, {"text": " a\n\n"})
    assert raw == {"lines": Batch((" a", ""))}


def test_split_lines_refuses_an_accidental_huge_fan_out(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="limit is 1000"):
        nodes.run("text.split_lines", {}, {"text": "x\n" * 1001})
