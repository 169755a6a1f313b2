"""Issue 3, acceptance 3 (second half): the product-to-video example, for real.

The same workflow file that runs offline in preview
(``tests/engine/test_example_product_video.py``) runs here through the executor and
the shipped catalog's hosted nodes — the real fal and ElevenLabs adapters — against
their protocol doubles on 127.0.0.1: every hosted node is submitted, polled and
fetched over HTTP with its key, charged per the catalog's pricing, and the result is
an MP4 whose picture comes from the fal video double and whose sound is the
ElevenLabs double's speech.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.catalog import PortType, default_catalog
from engine.executor import ExecutionEvent, ExecutionState, Executor, NodeState, RunOptions
from engine.media.probe import probe
from engine.values import Artifact, decode_value
from engine.workflow import load_workflow
from tests.conftest import EXAMPLES_DIR
from tests.engine.providers.conftest import FAL_KEY
from tests.engine.providers.doubles import FalDouble
from tests.engine.providers.doubles.elevenlabs import CHARS_PER_SECOND, VOICES, ElevenLabsDouble

EXAMPLE = EXAMPLES_DIR / "product-to-video.patchbay.json"
ELEVEN_KEY = "sk_0e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4938271"
BRIEF = "a red running sneaker with white soles"
NARRATION = f"Meet {BRIEF}. Light, fast, and ready for every street."
SHOT = "fal-ai/flux-pro/v1.1"
UPSCALER = "fal-ai/clarity-upscaler"
KLING = "fal-ai/kling-video/v2.1/standard/image-to-video"
HOSTED = ("shot", "upscale", "clip", "voice")


@pytest.fixture
def doubles(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FalDouble, ElevenLabsDouble]]:
    """fal and ElevenLabs on 127.0.0.1, keys in the environment, the adapters pointed there.

    One queue poll per fal job (``IN_QUEUE`` then ``COMPLETED``) keeps the run short
    with the shipped nodes' own poll backoff; prompt cues are off, since the example's
    own prompts ("slow cinematic push-in") would otherwise script the fal double.
    """
    steps = ("IN_QUEUE", "COMPLETED")
    with (
        FalDouble(key=FAL_KEY, steps=steps, cues=False) as fal,
        ElevenLabsDouble(key=ELEVEN_KEY, real_audio=True) as eleven,
    ):
        fal.kinds[UPSCALER] = "upscaled_image"
        fal.kinds[KLING] = "mp4"
        monkeypatch.setenv("PATCHBAY_FAL_BASE_URL", fal.url)
        monkeypatch.setenv("FAL_KEY", FAL_KEY)
        monkeypatch.setenv("PATCHBAY_ELEVENLABS_BASE_URL", eleven.url)
        monkeypatch.setenv("ELEVENLABS_API_KEY", ELEVEN_KEY)
        yield fal, eleven


def _queue_calls(fal: FalDouble, model: str) -> list[tuple[str, str]]:
    """(method, path) of every queue request about ``model``'s job, checking the auth header.

    The job's id is replaced by ``{id}`` in the paths.
    """
    (job_id,) = [i for i, job in fal.jobs.items() if job.model == model]
    app = "/".join(model.split("/")[:2])
    requests = [*fal.calls("POST", f"/{model}"), *fal.calls("GET", f"/{app}/requests/{job_id}")]
    assert all(r.headers["authorization"] == f"Key {FAL_KEY}" for r in requests), model
    return [(r.method, r.path.replace(job_id, "{id}")) for r in requests]


def _image_sent(data_uri: object) -> bytes:
    assert isinstance(data_uri, str) and data_uri.startswith("data:image/png;base64,")
    return base64.b64decode(data_uri.split(",", 1)[1])


async def test_example_runs_end_to_end_through_the_real_adapters(
    doubles: tuple[FalDouble, ElevenLabsDouble], tmp_path: Path
) -> None:
    fal, eleven = doubles
    catalog = default_catalog()
    workflow = load_workflow(EXAMPLE).workflow
    types = {node.id: node.type for node in workflow.nodes}
    for step in HOSTED:  # the shipped hosted nodes (make_hosted_node), not stand-ins
        assert catalog.entry(types[step]).implementation.__name__ == f"hosted[{types[step]}]"
    executor = Executor.for_data_dir(
        catalog, tmp_path / "data", base_dir=EXAMPLE.parent, output_dir=tmp_path / "out"
    )
    events: list[ExecutionEvent] = []

    record = await executor.run(workflow, RunOptions(inputs={"brief": BRIEF}), events.append)

    assert record.status == ExecutionState.COMPLETED, record.model_dump_json(indent=1)
    # Real calls, nothing previewed.
    assert not record.preview and not any(event.preview for event in events)
    assert all(node.status == NodeState.COMPLETED and not node.preview for node in record.nodes)

    # fal: each model submitted under its id, polled and fetched under its app, with the key.
    for model in (SHOT, UPSCALER, KLING):
        job = f"/{'/'.join(model.split('/')[:2])}/requests/{{id}}"
        assert _queue_calls(fal, model) == [
            ("POST", f"/{model}"),
            ("GET", f"{job}/status"),  # IN_QUEUE
            ("GET", f"{job}/status"),  # COMPLETED
            ("GET", job),  # the result
        ], model
    shot_body = fal.calls("POST", f"/{SHOT}")[0].json
    assert shot_body["prompt"].startswith(f"Studio product photo of {BRIEF}")
    assert (shot_body["image_size"], shot_body["seed"]) == ("landscape_16_9", 7)
    upscale_body = fal.calls("POST", f"/{UPSCALER}")[0].json
    assert upscale_body["upscale_factor"] == 2
    shot = decode_value(record.node("shot").outputs)["image"]
    assert _image_sent(upscale_body["image_url"]) == executor.artifacts.read_bytes(shot)
    clip_body = fal.calls("POST", f"/{KLING}")[0].json
    assert clip_body["duration"] == "5" and clip_body["prompt"].startswith("slow cinematic")
    upscaled = decode_value(record.node("upscale").outputs)["image"]
    assert _image_sent(clip_body["image_url"]) == executor.artifacts.read_bytes(upscaled)
    assert (upscaled.metadata["width"], upscaled.metadata["height"]) == (128, 72)

    # ElevenLabs: one text-to-speech request for George, with the key and the model.
    (tts,) = eleven.calls()
    george = next(voice_id for voice_id, name in VOICES.items() if name == "George")
    assert (tts.method, tts.path) == ("POST", f"/v1/text-to-speech/{george}")
    assert tts.headers["xi-api-key"] == ELEVEN_KEY
    assert tts.json["model_id"] == "eleven_multilingual_v2"
    assert tts.json["text"] == NARRATION
    assert tts.query["output_format"] == ["mp3_44100_128"]

    # Charged per the catalog's pricing rules.
    charged = {step: record.node(step).credits for step in HOSTED}
    assert charged == {
        "shot": 4.0,  # per image
        "upscale": 5.0,  # per run
        "clip": 5 * 5.6,  # per second of video
        "voice": round(len(NARRATION) / 1000 * 20, 6),  # per 1k characters
    }
    assert record.credits == pytest.approx(sum(charged.values()))
    assert all(record.node(n).credits == 0 for n in ("brief", "mux", "video"))

    # The provider's outputs, downloaded into the store, make the final MP4.
    clip = decode_value(record.node("clip").outputs)["video"]
    voice = decode_value(record.node("voice").outputs)["audio"]
    assert not clip.preview and clip.metadata["provider"] == "fal"
    assert not voice.preview and voice.media_type == "audio/mpeg"
    clip_info = probe(executor.artifacts.path(clip))
    assert clip_info.duration_s == pytest.approx(5.0, abs=0.1)
    assert (clip_info.video[0].width, clip_info.video[0].height) == (128, 72)
    spoken = len(NARRATION) / CHARS_PER_SECOND
    assert probe(executor.artifacts.path(voice)).duration_s == pytest.approx(spoken, abs=0.1)

    video = decode_value(record.outputs["video"])
    assert isinstance(video, Artifact) and video.kind == PortType.VIDEO and not video.preview
    info = probe(executor.artifacts.path(video))
    assert info.video[0].codec == "h264" and info.audio[0].codec == "aac"
    assert (info.video[0].width, info.video[0].height) == (128, 72)
    # "longest" with a 0.3 s offset: the voice outlasts the 5 s clip.
    assert spoken + 0.3 > 5.0
    assert info.duration_s == pytest.approx(spoken + 0.3, abs=0.15)
