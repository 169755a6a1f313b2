"""Issue 8, acceptance 2: the example gallery.

Every gallery example validates with no errors; every example that needs no key
runs to completion offline on the real executor, and every one that does runs
to completion in preview mode, with no key and no network. They run from their
untitled copy (what the start page opens) in a folder that is not theirs, so the
files they name must resolve wherever the copy runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.catalog import default_catalog
from engine.executor import ExecutionState, Executor, NodeState, RunOptions
from engine.validation import Severity, validate
from engine.values import Artifact, decode_value
from engine.workflow import FILE_SUFFIX, load_workflow
from resources.gallery import Example, example, examples, examples_dir, untitled_copy
from tests.conftest import EXAMPLES_DIR, NAMED_EXAMPLES

GALLERY = examples()
#: Examples that encode several seconds of video (still run by CI).
VIDEO_HEAVY = {"product-to-video", "storyboard", "podcast-clip"}


def _cases() -> list[Any]:
    return [
        pytest.param(
            entry, id=entry.id, marks=[pytest.mark.slow] if entry.id in VIDEO_HEAVY else []
        )
        for entry in GALLERY
    ]


def test_gallery_lists_the_named_examples_first_each_with_a_thumbnail() -> None:
    assert len(GALLERY) >= 6
    assert tuple(e.id for e in GALLERY[: len(NAMED_EXAMPLES)]) == NAMED_EXAMPLES
    assert len({e.id for e in GALLERY}) == len(GALLERY)
    for entry in GALLERY:
        assert entry.title and entry.summary and "\n" not in entry.summary
        assert entry.path.is_file() and entry.path.parent == examples_dir()
        assert entry.thumbnail is not None and entry.thumbnail.is_file(), entry.id
        assert entry.thumbnail.read_bytes().startswith(b"\x89PNG")


def test_every_shipped_example_is_in_the_gallery() -> None:
    shipped = {p.name.removesuffix(FILE_SUFFIX) for p in EXAMPLES_DIR.glob(f"*{FILE_SUFFIX}")}
    assert shipped == {e.id for e in GALLERY}
    assert examples_dir().resolve() == EXAMPLES_DIR.resolve()


def test_needs_key_says_whether_an_example_has_hosted_nodes() -> None:
    catalog = default_catalog()
    for entry in GALLERY:
        nodes = load_workflow(entry.path).workflow.nodes
        hosted = [n.id for n in nodes if catalog.spec(n.type).provider != "local"]
        assert entry.needs_key == bool(hosted), entry.id
    by_id = {e.id: e for e in GALLERY}
    assert not by_id["contact-sheet"].needs_key and not by_id["podcast-clip"].needs_key
    assert by_id["product-to-video"].needs_key and by_id["comfyui-txt2img"].needs_key


def test_example_lookup_by_id() -> None:
    assert example("poster") == next(e for e in GALLERY if e.id == "poster")
    with pytest.raises(KeyError):
        example("no-such-example")


@pytest.mark.parametrize("entry", GALLERY, ids=lambda e: e.id)
def test_example_and_its_untitled_copy_validate_without_errors(entry: Example) -> None:
    for workflow in (load_workflow(entry.path).workflow, untitled_copy(entry)):
        errors = [v for v in validate(workflow) if v.severity == Severity.ERROR]
        assert errors == [], entry.id
        assert workflow.description, f"{entry.id} has no description"


def test_untitled_copy_names_files_absolutely_and_leaves_text_alone() -> None:
    sheet = untitled_copy(example("contact-sheet"))
    files = sheet.node("files").data["default"].splitlines()
    assert len(files) == 6
    assert all(Path(f).is_absolute() and Path(f).is_file() for f in files)
    assert Path(files[0]) == EXAMPLES_DIR / "assets" / "dawn.png"
    assert sheet.node("title").data["default"] == "Patchbay example pictures"
    assert sheet.node("label").data["text"] == "{stem}"

    comfy = untitled_copy(example("comfyui-txt2img"))
    assert Path(comfy.node("comfy").data["workflow_file"]) == (
        EXAMPLES_DIR / "comfyui" / "txt2img_api.json"
    )
    assert comfy.node("comfy").data["inputs_map"] == {
        "text": "6.inputs.text",
        "seed": "3.inputs.seed",
    }
    original = load_workflow(example("comfyui-txt2img").path).workflow
    assert original.node("comfy").data["workflow_file"] == "comfyui/txt2img_api.json"


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize("entry", _cases())
async def test_example_runs_to_completion_offline(entry: Example, tmp_path: Path) -> None:
    """Offline as it is, or in preview when it has hosted nodes; from somewhere else."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    executor = Executor.for_data_dir(
        default_catalog(), tmp_path / "data", base_dir=elsewhere, output_dir=tmp_path / "out"
    )
    record = await executor.run(untitled_copy(entry), RunOptions(preview=entry.needs_key))

    assert record.status == ExecutionState.COMPLETED, record.error or [
        (n.node_id, n.error) for n in record.nodes if n.error
    ]
    assert all(n.status == NodeState.COMPLETED for n in record.nodes)
    assert record.outputs, "an example shows its result"
    for value in record.outputs.values():
        output = decode_value(value)
        assert isinstance(output, Artifact) and executor.artifacts.path(output).is_file()
    if entry.needs_key:
        assert record.preview and record.credits == 0
    else:
        assert not record.preview
    assert not any(elsewhere.iterdir()), "saved files go to the output folder"


@pytest.mark.usefixtures("offline")
async def test_comfyui_workflow_node_previews_an_image(tmp_path: Path) -> None:
    executor = Executor.for_data_dir(default_catalog(), tmp_path / "data", output_dir=tmp_path)
    record = await executor.run(
        untitled_copy(example("comfyui-txt2img")), RunOptions(preview=True, inputs={"seed": 7})
    )
    assert record.status == ExecutionState.COMPLETED, record.error
    comfy = record.node("comfy")
    assert comfy.preview and comfy.credits == 0
    picture = decode_value(comfy.outputs)["image"]
    assert isinstance(picture, Artifact) and picture.preview
    assert picture.media_type == "image/png"
    assert (tmp_path / "comfyui-txt2img.png").is_file()
