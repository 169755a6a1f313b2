"""Issue 3, acceptance 3: the brief → image → upscale → video → voice → mux example.

It runs through the real executor in preview mode with no network and no keys and
must produce a real MP4 with a video and an audio stream of the expected length.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.catalog import PortType, default_catalog
from engine.executor import ExecutionEvent, ExecutionState, Executor, NodeState, RunOptions
from engine.media.probe import probe
from engine.validation import validate
from engine.values import Artifact, decode_value
from engine.workflow import load_workflow
from tests.conftest import EXAMPLES_DIR

EXAMPLE = EXAMPLES_DIR / "product-to-video.patchbay.json"
HOSTED_STEPS = ("shot", "upscale", "clip", "voice")


def test_example_chains_hosted_models_from_brief_to_mux() -> None:
    catalog = default_catalog()
    workflow = load_workflow(EXAMPLE).workflow
    assert validate(workflow, catalog) == []
    spec = {node.id: catalog.spec(node.type) for node in workflow.nodes}
    assert spec["brief"].type == "input.text"
    assert [p.type for p in spec["shot"].outputs] == [PortType.IMAGE]
    assert spec["shot"].input("image") is None, "text-to-image"
    assert spec["clip"].input("image") is not None, "image-to-video"
    assert [p.type for p in spec["voice"].outputs] == [PortType.AUDIO]
    assert spec["mux"].type == "video.add_audio" and spec["video"].type == "output.video"
    for step in HOSTED_STEPS:
        assert spec[step].provider != "local" and spec[step].model_id, step


@pytest.mark.usefixtures("offline")
async def test_example_runs_in_preview_offline_and_makes_a_narrated_mp4(tmp_path: Path) -> None:
    executor = Executor.for_data_dir(
        default_catalog(), tmp_path / "data", base_dir=EXAMPLE.parent, output_dir=tmp_path / "out"
    )
    events: list[ExecutionEvent] = []
    options = RunOptions(preview=True, inputs={"brief": "a green canvas backpack"})
    record = await executor.run(load_workflow(EXAMPLE).workflow, options, events.append)

    assert record.status == ExecutionState.COMPLETED, record.error
    assert record.preview and record.credits == 0
    for step in HOSTED_STEPS:
        node = record.node(step)
        assert node.status == NodeState.COMPLETED and node.preview and node.credits == 0
    assert any(e.node_id == "clip" and e.preview for e in events)

    video = decode_value(record.outputs["video"])
    assert isinstance(video, Artifact) and video.media_type == "video/mp4"
    info = probe(executor.artifacts.path(video))
    assert info.video[0].codec == "h264" and info.audio[0].codec == "aac"
    assert (info.video[0].width, info.video[0].height) == (1280, 720)

    voice = decode_value(record.node("voice").outputs)["audio"]
    clip = decode_value(record.node("clip").outputs)["video"]
    assert voice.preview and clip.preview
    assert clip.metadata["duration_s"] == pytest.approx(5.0, abs=0.1), "Kling's duration param"
    spoken = voice.metadata["duration_s"]
    assert spoken == pytest.approx(
        len("Meet a green canvas backpack. Light, fast, and ready for every street.") / 15, abs=0.1
    )
    assert info.duration_s == pytest.approx(max(5.0, spoken + 0.3), abs=0.15)
    assert video.metadata["has_audio"] is True
