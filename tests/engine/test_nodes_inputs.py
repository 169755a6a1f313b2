"""input.* and output.* nodes: run inputs in, run outputs out."""

from __future__ import annotations

import pytest
from PIL import Image

from engine.errors import PermanentNodeError
from tests.engine.conftest import NodeRunner


def test_text_input_reads_the_run_input_by_name(nodes: NodeRunner) -> None:
    params = {"name": "brief", "default": "a red sneaker"}
    assert nodes.run("input.text", params, run_inputs={"brief": "a blue boot"}) == {
        "text": "a blue boot"
    }
    assert nodes.run("input.text", params) == {"text": "a red sneaker"}


def test_text_input_without_a_name_uses_the_node_id(nodes: NodeRunner) -> None:
    out = nodes.run("input.text", {}, node_id="prompt", run_inputs={"prompt": "hello"})
    assert out == {"text": "hello"}


def test_text_input_turns_numbers_into_text(nodes: NodeRunner) -> None:
    assert nodes.run("input.text", {"name": "n"}, run_inputs={"n": 3.0}) == {"text": "3"}


@pytest.mark.parametrize(("given", "expected"), [("3.5", 3.5), ("4", 4), (" 12 ", 12), (2.5, 2.5)])
def test_number_input_accepts_numbers_and_numeric_text(
    nodes: NodeRunner, given: object, expected: float
) -> None:
    out = nodes.run("input.number", {"name": "w"}, run_inputs={"w": given})
    assert out == {"number": expected}
    assert type(out["number"]) is type(expected)


def test_number_input_uses_its_default(nodes: NodeRunner) -> None:
    assert nodes.run("input.number", {"name": "w", "default": 960}) == {"number": 960}


@pytest.mark.parametrize("given", ["abc", "", "nan", True, [1]])
def test_number_input_refuses_non_numbers_naming_the_input(
    nodes: NodeRunner, given: object
) -> None:
    with pytest.raises(PermanentNodeError, match="input 'width'"):
        nodes.run("input.number", {"name": "width"}, run_inputs={"width": given})


def test_number_input_enforces_its_range_and_whole_numbers(nodes: NodeRunner) -> None:
    params = {"name": "w", "minimum": 10, "maximum": 100, "integer": True}
    with pytest.raises(PermanentNodeError, match="above the maximum 100"):
        nodes.run("input.number", params, run_inputs={"w": "101"})
    with pytest.raises(PermanentNodeError, match="below the minimum 10"):
        nodes.run("input.number", params, run_inputs={"w": 9})
    with pytest.raises(PermanentNodeError, match="whole number"):
        nodes.run("input.number", params, run_inputs={"w": "50.5"})
    assert nodes.run("input.number", params, run_inputs={"w": 50.0}) == {"number": 50}


def test_json_input_parses_text(nodes: NodeRunner) -> None:
    out = nodes.run("input.json", {"name": "cfg"}, run_inputs={"cfg": '{"a": [1, 2]}'})
    assert out == {"json": {"a": [1, 2]}}
    assert nodes.run("input.json", {"name": "cfg"}, run_inputs={"cfg": {"k": 1}}) == {
        "json": {"k": 1}
    }
    assert nodes.run("input.json", {"name": "cfg", "default": [1]}) == {"json": [1]}


def test_json_input_reports_where_the_json_is_broken(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match=r"not valid JSON \(line 1, column 7"):
        nodes.run("input.json", {"name": "cfg"}, run_inputs={"cfg": '{"a": }'})


def test_image_input_loads_its_default_file(nodes: NodeRunner) -> None:
    Image.new("RGB", (40, 30), "red").save(nodes.base_dir / "photo.png")
    out = nodes.run("input.image", {"name": "photo", "default": "photo.png"})
    artifact = out["image"]
    assert artifact.metadata == {"width": 40, "height": 30}
    assert nodes.artifacts.read_bytes(artifact) == (nodes.base_dir / "photo.png").read_bytes()


def test_image_input_takes_a_path_or_an_uploaded_artifact(nodes: NodeRunner) -> None:
    Image.new("RGB", (8, 8), "blue").save(nodes.base_dir / "given.png")
    out = nodes.run("input.image", {"name": "photo"}, run_inputs={"photo": "given.png"})
    assert nodes.image(out["image"]).getpixel((0, 0)) == (0, 0, 255)

    uploaded = nodes.put_image(Image.new("RGB", (5, 5), "green"))
    assert nodes.run("input.image", {}, node_id="photo", run_inputs={"photo": uploaded}) == {
        "image": uploaded
    }
    encoded = uploaded.to_json()
    assert nodes.run("input.image", {"name": "p"}, run_inputs={"p": encoded}) == {"image": uploaded}


def test_image_input_errors_are_actionable(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="--input photo=PATH"):
        nodes.run("input.image", {"name": "photo"})
    with pytest.raises(PermanentNodeError, match="file not found"):
        nodes.run("input.image", {"name": "photo"}, run_inputs={"photo": "missing.png"})
    (nodes.base_dir / "notes.txt").write_text("not a picture")
    with pytest.raises(PermanentNodeError, match="not an image"):
        nodes.run("input.image", {"name": "photo", "default": "notes.txt"})


def test_output_nodes_pass_their_value_through(nodes: NodeRunner) -> None:
    image = nodes.put_image(Image.new("RGB", (4, 4)))
    assert nodes.run("output.image", {"name": "poster"}, {"image": image}) == {"image": image}
    assert nodes.run("output.text", {}, {"text": "done"}) == {"text": "done"}
    assert nodes.run("output.text", {}, {"text": 42}) == {"text": "42"}
    assert nodes.run("output.json", {}, {"json": {"a": [1]}}) == {"json": {"a": [1]}}


def test_output_image_refuses_a_non_image(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="expected an image, got text"):
        nodes.run("output.image", {}, {"image": "poster.png"})
