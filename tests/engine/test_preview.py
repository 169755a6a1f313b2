"""Preview mode: offline outputs of the right type and shape for synthetic hosted nodes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from engine.artifacts import ArtifactStore
from engine.catalog import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.media import audio as pcm
from engine.media.probe import probe
from engine.media.store import store_video
from engine.media.video import encode_frames
from engine.nodes.base import NodeContext
from engine.nodes.image import store_image
from engine.preview import preview_outputs, requested_size
from engine.values import Artifact

PROMPT = "a red sneaker on a wet street at night"
_TEXT_IN = PortSpec(name="prompt", type=PortType.TEXT, required=False, description="Prompt.")
_PROMPT = ParamSpec(name="prompt", kind=ParamKind.TEXT, default="")


def hosted(
    node_type: str,
    outputs: dict[str, PortType],
    *,
    inputs: tuple[PortSpec, ...] = (_TEXT_IN,),
    params: tuple[ParamSpec, ...] = (_PROMPT,),
    list_outputs: bool = False,
) -> NodeSpec:
    """A hosted node spec like the catalog's (built here, independent of it)."""
    return NodeSpec(
        type=node_type,
        category=Category.IMAGE,
        display_name=f"Model {node_type}",
        provider="fal",
        model_id=f"fal-ai/{node_type}",
        inputs=inputs,
        outputs=tuple(PortSpec(name=n, type=t, is_list=list_outputs) for n, t in outputs.items()),
        params=params,
    )


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


async def preview(
    store: ArtifactStore,
    spec: NodeSpec,
    params: dict[str, Any],
    inputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    resolved = spec.resolved_params(params)
    ctx = NodeContext(
        node_id="n", node_type=spec.type, params=resolved, artifacts=store, preview=True
    )
    return await preview_outputs(spec, resolved, inputs or {}, ctx)


def picture(store: ArtifactStore, artifact: Artifact) -> Image.Image:
    with Image.open(store.path(artifact)) as opened:
        return opened.convert("RGB")


# ---------------------------------------------------------------- images


@pytest.mark.parametrize(
    ("params", "size"),
    [
        ({}, None),
        ({"width": 800, "height": 600}, (800, 600)),
        ({"image_size": "landscape_16_9"}, (1024, 576)),
        ({"image_size": {"width": 640, "height": 480}}, (640, 480)),
        ({"size": "1536x1024"}, (1536, 1024)),
        ({"aspect_ratio": "16:9"}, (1024, 576)),
        ({"aspect_ratio": "9:16", "resolution": "720p"}, (720, 1280)),
        ({"aspect_ratio": "3:2", "resolution": "2K"}, (2048, 1365)),
        ({"resolution": "1080p", "aspect_ratio": "16:9"}, (1920, 1080)),
        ({"resolution": "512x512"}, (512, 512)),
        ({"aspect_ratio": "match_input_image"}, None),
    ],
)
def test_requested_size_reads_the_providers_size_params(
    params: dict[str, Any], size: tuple[int, int] | None
) -> None:
    assert requested_size(params) == size


def test_a_resolution_without_aspect_keeps_the_input_aspect() -> None:
    assert requested_size({"resolution": "720p"}, source_aspect=2.0) == (1440, 720)


async def test_image_preview_has_the_requested_size_and_is_flagged(store: ArtifactStore) -> None:
    spec = hosted("flux", {"image": PortType.IMAGE})
    out = await preview(store, spec, {"prompt": PROMPT, "aspect_ratio": "16:9"})
    image = out["image"]
    assert isinstance(image, Artifact) and image.preview is True
    assert image.kind == PortType.IMAGE and image.media_type == "image/png"
    assert image.metadata == {"width": 1024, "height": 576}
    assert picture(store, image).size == (1024, 576)
    default = await preview(store, spec, {"prompt": PROMPT})
    assert default["image"].metadata == {"width": 1024, "height": 1024}


async def test_previews_are_deterministic_and_differ_by_prompt(store: ArtifactStore) -> None:
    spec = hosted("flux", {"image": PortType.IMAGE})
    size = {"width": 320, "height": 180}
    typed = await preview(store, spec, {"prompt": PROMPT, **size})
    wired = await preview(store, spec, size, {"prompt": PROMPT})
    other = await preview(store, spec, {"prompt": "a blue boot", **size})
    assert typed["image"].id == wired["image"].id, "same bytes, so the cache recognises it"
    assert typed["image"].id != other["image"].id
    colours = {picture(store, a).getpixel((2, 2)) for a in (typed["image"], other["image"])}
    assert len(colours) == 2


async def test_image_to_image_preview_starts_from_the_input(store: ArtifactStore) -> None:
    spec = hosted(
        "upscaler",
        {"image": PortType.IMAGE},
        inputs=(PortSpec(name="image", type=PortType.IMAGE, description="Input."),),
        params=(ParamSpec(name="scale", kind=ParamKind.NUMBER, default=2),),
    )
    ctx = NodeContext(node_id="src", node_type="x", params={}, artifacts=store)
    source = store_image(ctx, Image.new("RGB", (160, 90), (0, 120, 255)))
    out = await preview(store, spec, {}, {"image": source})
    assert out["image"].metadata == {"width": 320, "height": 180}
    assert picture(store, out["image"]).getpixel((160, 40)) == (0, 120, 255)


async def test_list_outputs_give_one_item_per_requested_image(store: ArtifactStore) -> None:
    spec = hosted(
        "batch",
        {"images": PortType.IMAGE},
        params=(_PROMPT, ParamSpec(name="num_images", kind=ParamKind.INTEGER, default=3)),
        list_outputs=True,
    )
    out = await preview(store, spec, {"prompt": PROMPT, "width": 64, "height": 64})
    assert len(out["images"]) == 3 and len({a.id for a in out["images"]}) == 3


# ---------------------------------------------------------------- video


async def test_text_to_video_preview_has_the_requested_duration_and_size(
    store: ArtifactStore,
) -> None:
    spec = hosted(
        "kling",
        {"video": PortType.VIDEO},
        params=(
            _PROMPT,
            ParamSpec(name="duration", kind=ParamKind.ENUM, default="5", choices=("5", "10")),
        ),
    )
    started = time.perf_counter()
    out = await preview(store, spec, {"prompt": PROMPT, "width": 320, "height": 180})
    assert time.perf_counter() - started < 3.0, "a 5 s preview clip is quick to make"
    video = out["video"]
    assert video.preview is True and video.media_type == "video/mp4"
    info = probe(store.path(video))
    assert info.duration_s == pytest.approx(5.0, abs=0.1)
    assert (info.video[0].width, info.video[0].height) == (320, 180)
    assert not info.has_audio
    assert video.metadata["duration_s"] == pytest.approx(5.0, abs=0.1)
    assert video.metadata["fps"] == 8.0 and video.metadata["has_audio"] is False
    again = await preview(store, spec, {"prompt": PROMPT, "width": 320, "height": 180})
    assert again["video"].id == video.id


async def test_image_to_video_preview_uses_the_image_and_adds_sound_when_asked(
    store: ArtifactStore,
) -> None:
    spec = hosted(
        "veo",
        {"video": PortType.VIDEO},
        inputs=(_TEXT_IN, PortSpec(name="image", type=PortType.IMAGE, description="First frame.")),
        params=(
            _PROMPT,
            ParamSpec(name="duration_seconds", kind=ParamKind.INTEGER, default=2),
            ParamSpec(name="resolution", kind=ParamKind.STRING, default="180p"),
            ParamSpec(name="generate_audio", kind=ParamKind.BOOLEAN, default=True),
        ),
    )
    ctx = NodeContext(node_id="src", node_type="x", params={}, artifacts=store)
    source = store_image(ctx, Image.new("RGB", (200, 100), (200, 30, 30)))
    out = await preview(store, spec, {"prompt": PROMPT}, {"image": source})
    info = probe(store.path(out["video"]))
    assert (info.video[0].width, info.video[0].height) == (360, 180)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert info.has_audio and out["video"].metadata["has_audio"] is True


# ---------------------------------------------------------------- audio


async def test_speech_preview_lasts_as_long_as_the_text_takes(store: ArtifactStore) -> None:
    spec = hosted(
        "elevenlabs-tts",
        {"audio": PortType.AUDIO},
        inputs=(PortSpec(name="text", type=PortType.TEXT, required=False, description="Text."),),
        params=(ParamSpec(name="text", kind=ParamKind.TEXT, default=""),),
    )
    text = "x" * 150
    out = await preview(store, spec, {}, {"text": text})
    audio = out["audio"]
    assert audio.preview is True and audio.media_type == "audio/wav"
    clip = pcm.decode_wav(store.read_bytes(audio))
    assert clip.duration_s == pytest.approx(10.0, abs=0.05)
    assert 0.01 < pcm.peak(clip) < 0.5, "a gentle, audible tone"
    assert audio.metadata["duration_s"] == pytest.approx(10.0, abs=0.05)


@pytest.mark.parametrize(
    ("params", "seconds"), [({"duration": 7}, 7.0), ({"seconds_total": "3"}, 3.0), ({}, 10.0)]
)
async def test_music_preview_follows_the_duration_param(
    store: ArtifactStore, params: dict[str, Any], seconds: float
) -> None:
    spec = hosted(
        "music",
        {"audio": PortType.AUDIO},
        params=(
            _PROMPT,
            ParamSpec(name="duration", kind=ParamKind.INTEGER),
            ParamSpec(name="seconds_total", kind=ParamKind.STRING),
        ),
    )
    out = await preview(store, spec, {"prompt": "calm piano", **params})
    assert pcm.decode_wav(store.read_bytes(out["audio"])).duration_s == pytest.approx(seconds)


# ---------------------------------------------------------------- text, json, mask, mesh


async def test_text_and_json_previews_say_they_are_previews(store: ArtifactStore) -> None:
    spec = hosted("llm", {"text": PortType.TEXT, "data": PortType.JSON, "score": PortType.NUMBER})
    out = await preview(store, spec, {}, {"prompt": "Write a tagline\nfor a sneaker"})
    assert out["text"] == "[preview] Model llm would answer: Write a tagline for a sneaker"
    assert out["data"]["preview"] is True and out["data"]["model_id"] == "fal-ai/llm"
    assert out["score"] == 0


async def test_mask_and_mesh_previews(store: ArtifactStore) -> None:
    spec = hosted("segment", {"mask": PortType.MASK, "model": PortType.MESH})
    out = await preview(store, spec, {"width": 100, "height": 50})
    mask = out["mask"]
    assert mask.kind == PortType.MASK and mask.preview is True
    with Image.open(store.path(mask)) as opened:
        assert opened.mode == "L" and opened.size == (100, 50)
        assert opened.getpixel((50, 25)) == 255 and opened.getpixel((1, 1)) == 0
    mesh = out["model"]
    assert mesh.kind == PortType.MESH and mesh.media_type == "model/obj" and mesh.preview
    lines = store.read_bytes(mesh).decode("ascii").splitlines()
    vertices = [line for line in lines if line.startswith("v ")]
    faces = [line for line in lines if line.startswith("f ")]
    assert len(vertices) == 8 and len(faces) == 6
    assert all(1 <= int(i) <= 8 for face in faces for i in face.split()[1:])


async def test_clip_inputs_set_the_length_and_size_of_the_preview(
    store: ArtifactStore, tmp_path: Path
) -> None:
    frames = [np.zeros((90, 160, 3), np.uint8)] * 18
    encode_frames(iter(frames), width=160, height=90, fps=12, target=tmp_path / "in.mp4")
    clip = store_video(store, tmp_path / "in.mp4")
    upscaler = hosted(
        "video-upscaler",
        {"video": PortType.VIDEO},
        inputs=(PortSpec(name="video", type=PortType.VIDEO, description="Clip."),),
        params=(ParamSpec(name="upscale_factor", kind=ParamKind.NUMBER, default=2),),
    )
    out = await preview(store, upscaler, {}, {"video": clip})
    info = probe(store.path(out["video"]))
    assert (info.video[0].width, info.video[0].height) == (320, 180)
    assert info.duration_s == pytest.approx(1.5, abs=0.1)
    foley = hosted(
        "video-to-audio",
        {"audio": PortType.AUDIO},
        inputs=(_TEXT_IN, PortSpec(name="video", type=PortType.VIDEO, description="Clip.")),
    )
    sound = (await preview(store, foley, {"prompt": "rain"}, {"video": clip}))["audio"]
    assert sound.metadata["duration_s"] == pytest.approx(1.5, abs=0.01)
