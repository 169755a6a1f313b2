"""The Google (Gemini API) adapter over real HTTP against the Gemini API double."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.artifacts import ArtifactStore
from engine.catalog import (
    Category,
    NodeSpec,
    ParamKind,
    ParamSpec,
    PortSpec,
    PortType,
    Pricing,
    PricingUnit,
)
from engine.errors import PermanentNodeError, TransientNodeError
from engine.executor import ErrorKind, ExecutionState, NodeState
from engine.values import Artifact, Batch, decode_value
from tests.engine.providers.adapter_helpers import cancelled, eventually, start_node
from tests.engine.providers.conftest import assert_secret_absent, run_node, run_workflow
from tests.engine.providers.doubles.google import RAI_REASON, GoogleDouble, google_error
from tests.engine.providers.doubles.media import png

GEMINI_KEY = "AIzaSyT3stKeyForPatchbay0123456789abcd"
_PROMPT = PortSpec(name="prompt", type=PortType.TEXT)
_PROMPT_PARAM = ParamSpec(name="prompt", kind=ParamKind.TEXT)
_IMAGE_OUT = PortSpec(name="image", type=PortType.IMAGE)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "PATCHBAY_GOOGLE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[GoogleDouble]:
    with GoogleDouble(key=GEMINI_KEY) as double:
        monkeypatch.setenv("PATCHBAY_GOOGLE_BASE_URL", double.url)
        monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
        yield double


def _spec(kind: str, **changes: Any) -> NodeSpec:
    """Hand-written specs shaped like engine/catalog/hosted/google.json entries."""
    common: dict[str, Any] = {"provider": "google", "inputs": (_PROMPT,)}
    specs = {
        "imagen": NodeSpec(
            type="test.imagen-4",
            category=Category.IMAGE,
            display_name="Imagen 4",
            outputs=(_IMAGE_OUT,),
            params=(
                _PROMPT_PARAM,
                ParamSpec(name="number_of_images", kind=ParamKind.INTEGER, default=1),
                ParamSpec(
                    name="aspect_ratio", kind=ParamKind.ENUM, default="1:1", choices=("1:1", "16:9")
                ),
                ParamSpec(
                    name="person_generation",
                    kind=ParamKind.ENUM,
                    default="allow_adult",
                    choices=("allow_adult",),
                ),
            ),
            model_id="imagen-4.0-generate-001",
            pricing=Pricing(
                unit=PricingUnit.PER_IMAGE, credits=4, quantity_param="number_of_images"
            ),
            provider_options={
                "endpoint": "/v1beta/models/{model}:predict",
                "input_fields": {"prompt": "instance.prompt"},
                "param_fields": {
                    "prompt": "instance.prompt",
                    "number_of_images": "parameters.sampleCount",
                },
                "output_paths": {"image": "predictions[0].bytesBase64Encoded"},
            },
            **common,
        ),
        "gemini-image": NodeSpec(
            type="test.gemini-2-5-flash-image",
            category=Category.IMAGE,
            display_name="Gemini 2.5 Flash Image",
            outputs=(_IMAGE_OUT,),
            params=(
                _PROMPT_PARAM,
                ParamSpec(
                    name="aspect_ratio",
                    kind=ParamKind.ENUM,
                    default="16:9",
                    choices=("1:1", "16:9"),
                ),
            ),
            model_id="gemini-2.5-flash-image",
            provider_options={
                "endpoint": "/v1beta/models/{model}:generateContent",
                "parts": ["prompt"],
                "param_fields": {"aspect_ratio": "generationConfig.imageConfig.aspectRatio"},
                "fixed_fields": {"generationConfig.responseModalities": ["TEXT", "IMAGE"]},
            },
            **common,
        ),
        "tts": NodeSpec(
            type="test.gemini-tts",
            category=Category.AUDIO,
            display_name="Gemini TTS",
            inputs=(PortSpec(name="text", type=PortType.TEXT),),
            outputs=(PortSpec(name="audio", type=PortType.AUDIO),),
            params=(
                ParamSpec(
                    name="voice", kind=ParamKind.ENUM, default="Kore", choices=("Kore", "Puck")
                ),
            ),
            provider="google",
            model_id="gemini-2.5-flash-preview-tts",
            provider_options={
                "parts": ["text"],
                "param_fields": {
                    "voice": "generationConfig.speechConfig.voiceConfig."
                    "prebuiltVoiceConfig.voiceName"
                },
                "fixed_fields": {"generationConfig.responseModalities": ["AUDIO"]},
                "output_paths": {"audio": "candidates[0].content.parts[0].inlineData"},
            },
        ),
        "gemini": NodeSpec(
            type="test.gemini-2-5-flash",
            category=Category.TEXT,
            display_name="Gemini 2.5 Flash",
            outputs=(PortSpec(name="text", type=PortType.TEXT),),
            params=(
                _PROMPT_PARAM,
                ParamSpec(name="system", kind=ParamKind.TEXT, default=""),
                ParamSpec(name="temperature", kind=ParamKind.NUMBER, default=1.0),
            ),
            model_id="gemini-2.5-flash",
            **common,
        ),
        "veo": NodeSpec(
            type="test.veo-3",
            category=Category.VIDEO,
            display_name="Veo 3",
            outputs=(PortSpec(name="video", type=PortType.VIDEO),),
            params=(
                _PROMPT_PARAM,
                ParamSpec(
                    name="aspect_ratio", kind=ParamKind.ENUM, default="16:9", choices=("16:9",)
                ),
                ParamSpec(name="negative_prompt", kind=ParamKind.TEXT, default=""),
            ),
            model_id="veo-3.0-generate-001",
            pricing=Pricing(unit=PricingUnit.PER_SECOND, credits=40),
            provider_options={
                "output_paths": {
                    "video": "response.generateVideoResponse.generatedSamples[0].video.uri"
                }
            },
            **common,
        ),
    }
    return specs[kind].model_copy(update=changes)


async def test_imagen_generates_an_image(google: GoogleDouble, store: ArtifactStore) -> None:
    run = await run_node(
        _spec("imagen"), store, {"prompt": "a red sneaker", "aspect_ratio": "16:9"}
    )

    image = run.outputs["image"]
    assert isinstance(image, Artifact) and image.kind == PortType.IMAGE
    assert (image.media_type, image.metadata["width"], image.metadata["height"]) == (
        "image/png",
        64,
        36,
    )
    (request,) = google.calls("POST")
    assert request.path == "/v1beta/models/imagen-4.0-generate-001:predict"
    assert request.headers["x-goog-api-key"] == GEMINI_KEY
    assert request.query == {}  # never ?key=
    assert request.json == {
        "instances": [{"prompt": "a red sneaker"}],
        "parameters": {"sampleCount": 1, "aspectRatio": "16:9", "personGeneration": "allow_adult"},
    }


async def test_gemini_image_output_comes_from_inline_data(
    google: GoogleDouble, store: ArtifactStore
) -> None:
    run = await run_node(_spec("gemini-image"), store, {"prompt": "a kite"})

    image = run.outputs["image"]
    assert isinstance(image, Artifact) and (image.metadata["width"], image.metadata["height"]) == (
        64,
        36,
    )
    body = google.calls("POST")[0].json
    assert body == {
        "contents": [{"role": "user", "parts": [{"text": "a kite"}]}],
        "generationConfig": {
            "imageConfig": {"aspectRatio": "16:9"},
            "responseModalities": ["TEXT", "IMAGE"],
        },
    }


async def test_gemini_edits_the_images_it_is_given(
    google: GoogleDouble, store: ArtifactStore
) -> None:
    picture = store.put_bytes(png(30, 20), kind=PortType.IMAGE, media_type="image/png")
    spec = _spec(
        "gemini-image",
        inputs=(_PROMPT, PortSpec(name="images", type=PortType.IMAGE, is_list=True)),
        provider_options={**_spec("gemini-image").provider_options, "parts": ["prompt", "images"]},
    )

    run = await run_node(spec, store, {"prompt": "make it night"}, {"images": Batch((picture,))})

    image = run.outputs["image"]
    assert isinstance(image, Artifact) and (image.metadata["width"], image.metadata["height"]) == (
        30,
        20,
    )
    parts = google.calls("POST")[0].json["contents"][0]["parts"]
    assert parts[0] == {"text": "make it night"}
    assert parts[1]["inlineData"]["mimeType"] == "image/png"
    assert base64.b64decode(parts[1]["inlineData"]["data"]) == store.read_bytes(picture)


async def test_gemini_speech_is_wrapped_as_wav(google: GoogleDouble, store: ArtifactStore) -> None:
    run = await run_node(_spec("tts"), store, {"voice": "Puck"}, {"text": "Say cheerfully: hello"})

    audio = run.outputs["audio"]
    assert isinstance(audio, Artifact) and audio.media_type == "audio/wav"
    data = store.read_bytes(audio)
    assert data[:4] == b"RIFF" and int.from_bytes(data[24:28], "little") == 24000
    config = google.calls("POST")[0].json["generationConfig"]
    assert config["speechConfig"]["voiceConfig"]["prebuiltVoiceConfig"]["voiceName"] == "Puck"


async def test_gemini_text_with_a_system_instruction(
    google: GoogleDouble, store: ArtifactStore
) -> None:
    run = await run_node(_spec("gemini"), store, {"prompt": "hi", "system": "Be brief."})

    assert run.outputs == {"text": "[system] echo: hi"}
    body = google.calls("POST")[0].json
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["generationConfig"] == {"temperature": 1.0}
    assert google.calls("POST")[0].path == "/v1beta/models/gemini-2.5-flash:generateContent"


async def test_veo_polls_the_operation_and_downloads_the_video_with_the_key(
    google: GoogleDouble, store: ArtifactStore
) -> None:
    run = await run_node(_spec("veo"), store, {"prompt": "waves at dusk"})

    video = run.outputs["video"]
    assert isinstance(video, Artifact) and (video.kind, video.media_type) == (
        PortType.VIDEO,
        "video/mp4",
    )
    assert store.read_bytes(video)[4:8] == b"ftyp"
    (submit,) = google.calls("POST")
    assert submit.path == "/v1beta/models/veo-3.0-generate-001:predictLongRunning"
    assert submit.json == {
        "instances": [{"prompt": "waves at dusk"}],
        "parameters": {"aspectRatio": "16:9"},
    }
    polls = google.calls("GET", "/operations/")
    assert len(polls) == 3
    (download,) = google.calls("GET", "/files/")
    assert download.headers["x-goog-api-key"] == GEMINI_KEY
    assert all("key" not in request.query for request in google.requests)


async def test_veo_image_to_video_sends_the_image_inline(
    google: GoogleDouble, store: ArtifactStore
) -> None:
    frame = store.put_bytes(png(16, 9), kind=PortType.IMAGE, media_type="image/png")
    spec = _spec("veo", inputs=(_PROMPT, PortSpec(name="image", type=PortType.IMAGE)))

    await run_node(spec, store, {"prompt": "it moves"}, {"image": frame})

    instance = google.calls("POST")[0].json["instances"][0]
    assert instance["image"]["mimeType"] == "image/png"
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == store.read_bytes(frame)


async def test_a_429_then_a_503_are_retried_by_the_executor(
    google: GoogleDouble, data_dir: Path
) -> None:
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0s"}
    google.fail_next(
        "predict", 429, google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", retry)
    )
    google.fail_next("predict", 503, google_error(503, "UNAVAILABLE", "The model is overloaded."))

    record = await run_workflow(_spec("imagen"), {"prompt": "a kite"}, data_dir)

    assert record.status == ExecutionState.COMPLETED
    node = record.node("gen")
    assert node.status == NodeState.COMPLETED and node.attempts == 3
    assert node.credits == 4
    assert isinstance(decode_value(record.outputs["gen"]), Artifact)


async def test_a_rate_limit_waits_the_retry_delay_google_names(
    google: GoogleDouble, store: ArtifactStore
) -> None:
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "38s"}
    google.fail_next(
        "generate",
        429,
        google_error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", retry),
    )

    with pytest.raises(TransientNodeError) as caught:
        await run_node(_spec("gemini"), store, {"prompt": "hi"})

    assert caught.value.retry_after == 38.0
    assert caught.value.message.endswith(
        "rate limited (HTTP 429): You exceeded your current quota."
    )


async def test_a_bad_key_fails_permanently_with_googles_message(
    google: GoogleDouble, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "AIzaWrongKey")

    record = await run_workflow(_spec("imagen"), {"prompt": "a kite"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.kind == ErrorKind.PERMANENT
    assert node.error.message == (
        "Google rejected the API key (GEMINI_API_KEY) (HTTP 400): "
        "API key not valid. Please pass a valid API key."
    )
    assert node.error.details["code"] == "auth"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (
            "imagen",
            "Google's safety filters withheld every image (Imagen returned none); "
            "change the prompt",
        ),
        ("gemini-image", "Gemini blocked the prompt (PROHIBITED_CONTENT)"),
        ("veo", f"Google's safety filters withheld the video: {RAI_REASON}"),
    ],
)
async def test_safety_blocks_are_permanent_with_the_reason(
    google: GoogleDouble, data_dir: Path, kind: str, message: str
) -> None:
    record = await run_workflow(_spec(kind), {"prompt": "something forbidden"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.kind == ErrorKind.PERMANENT
    assert (node.error.message, node.error.details["code"]) == (message, "moderation")


async def test_an_image_model_that_only_talks_says_what_it_said(
    google: GoogleDouble, store: ArtifactStore
) -> None:
    with pytest.raises(PermanentNodeError) as caught:
        await run_node(_spec("gemini-image"), store, {"prompt": "only text please"})
    assert (
        caught.value.message == "Gemini answered without an image; it said: Here is your picture."
    )


async def test_a_failed_operation_is_permanent_with_googles_message(
    google: GoogleDouble, store: ArtifactStore
) -> None:
    with pytest.raises(PermanentNodeError) as caught:
        await run_node(_spec("veo"), store, {"prompt": "this fails"})
    assert caught.value.message == "Google: Unsupported resolution for this model."


async def test_cancelling_a_video_cancels_the_operation(
    google: GoogleDouble, store: ArtifactStore
) -> None:
    task = start_node(_spec("veo"), store, {"prompt": "a slow epic"})
    await eventually(lambda: len(google.calls("GET", "/operations/")) >= 2)

    await cancelled(task)

    (cancel,) = google.calls("POST", ":cancel")
    assert cancel.headers["x-goog-api-key"] == GEMINI_KEY
    (operation,) = google.operations.values()
    assert operation.cancelled


async def test_cancelling_a_synchronous_call_closes_it(
    google: GoogleDouble, store: ArtifactStore
) -> None:
    task = start_node(_spec("imagen"), store, {"prompt": "slow"})
    await eventually(lambda: google.calls("POST"))

    await cancelled(task)

    await eventually(lambda: google.aborted == ["/v1beta/models/imagen-4.0-generate-001:predict"])


async def test_the_key_never_leaks_on_any_failure_path(
    google: GoogleDouble,
    data_dir: Path,
    store: ArtifactStore,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    google.fail_next("predict", 400, google_error(400, "INVALID_ARGUMENT", f"bad key {GEMINI_KEY}"))
    google.fail_next("predict", 500, google_error(500, "INTERNAL", f"boom {GEMINI_KEY}"), times=3)
    google.fail_next("operation", 403, google_error(403, "PERMISSION_DENIED", f"no {GEMINI_KEY}"))
    seen: list[object] = []
    for kind, prompt in (
        ("imagen", "leak 400"),
        ("imagen", "leak 500"),
        ("veo", "leak poll"),
        ("veo", "it fails"),
        ("gemini-image", "forbidden"),
    ):
        record = await run_workflow(_spec(kind), {"prompt": prompt}, data_dir)
        assert record.status == ExecutionState.FAILED
        seen.append(record)
    google.fail_next("generate", 429, google_error(429, "RESOURCE_EXHAUSTED", f"slow {GEMINI_KEY}"))
    with pytest.raises(TransientNodeError) as transient:
        await run_node(_spec("gemini"), store, {"prompt": "x"})
    seen.append(transient.value)
    assert "[redacted]" in transient.value.message
    task = start_node(_spec("veo"), store, {"prompt": "slow"})
    await eventually(lambda: google.calls("GET", "/operations/"))
    await cancelled(task)
    monkeypatch.setenv("PATCHBAY_GOOGLE_BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(TransientNodeError) as unreachable:
        await run_node(_spec("imagen"), store, {"prompt": "x"})
    seen.append(unreachable.value)

    assert_secret_absent(GEMINI_KEY, *seen, caplog=debug_logs)
    assert all("key" not in request.query for request in google.requests)
