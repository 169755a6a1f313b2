"""The ElevenLabs adapter over real HTTP against the ElevenLabs double."""

from __future__ import annotations

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
from engine.values import Artifact, decode_value
from tests.engine.providers.adapter_helpers import cancelled, eventually, start_node
from tests.engine.providers.conftest import assert_secret_absent, run_node, run_workflow
from tests.engine.providers.doubles.elevenlabs import QUOTA_MESSAGE, ElevenLabsDouble, detail

ELEVEN_KEY = "sk_5f0c1e2d3b4a59687766554433221100ffeeddccbbaa9988"
GEORGE = "JBFqnCBsd6RMkjVDRZzb"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ELEVENLABS_API_KEY", "PATCHBAY_ELEVENLABS_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def eleven(monkeypatch: pytest.MonkeyPatch) -> Iterator[ElevenLabsDouble]:
    with ElevenLabsDouble(key=ELEVEN_KEY) as double:
        monkeypatch.setenv("PATCHBAY_ELEVENLABS_BASE_URL", double.url)
        monkeypatch.setenv("ELEVENLABS_API_KEY", ELEVEN_KEY)
        yield double


def tts_spec(**changes: Any) -> NodeSpec:
    """Shaped like the text-to-speech family of engine/catalog/hosted/elevenlabs.json."""
    spec = NodeSpec(
        type="test.elevenlabs-multilingual-v2",
        category=Category.AUDIO,
        display_name="ElevenLabs Multilingual v2",
        inputs=(PortSpec(name="text", type=PortType.TEXT),),
        outputs=(PortSpec(name="audio", type=PortType.AUDIO),),
        params=(
            ParamSpec(name="text", kind=ParamKind.TEXT),
            ParamSpec(
                name="voice", kind=ParamKind.ENUM, default="George", choices=("George", "Sarah")
            ),
            ParamSpec(name="voice_id", kind=ParamKind.STRING, default=""),
            ParamSpec(name="stability", kind=ParamKind.NUMBER, default=0.5),
            ParamSpec(name="language_code", kind=ParamKind.STRING, default=""),
            ParamSpec(
                name="output_format",
                kind=ParamKind.ENUM,
                default="mp3_44100_128",
                choices=("mp3_44100_128", "pcm_16000"),
            ),
        ),
        provider="elevenlabs",
        model_id="eleven_multilingual_v2",
        pricing=Pricing(unit=PricingUnit.PER_1K_CHARS, credits=20, quantity_param="text"),
        provider_options={
            "endpoint": "/v1/text-to-speech/{voice_id}",
            "voice_param": "voice",
            "voice_id_param": "voice_id",
            "voices": {"George": GEORGE, "Sarah": "EXAVITQu4vr4xnSDxMaL"},
            "query_params": ["output_format"],
            "response": "binary",
            "param_fields": {
                "voice": None,
                "voice_id": None,
                "output_format": None,
                "stability": "voice_settings.stability",
            },
            "fixed_fields": {"model_id": "eleven_multilingual_v2"},
        },
    )
    return spec.model_copy(update=changes)


def sound_spec() -> NodeSpec:
    return NodeSpec(
        type="test.elevenlabs-sound-effects",
        category=Category.AUDIO,
        display_name="ElevenLabs sound effects",
        inputs=(PortSpec(name="prompt", type=PortType.TEXT),),
        outputs=(PortSpec(name="audio", type=PortType.AUDIO),),
        params=(
            ParamSpec(name="prompt", kind=ParamKind.TEXT),
            ParamSpec(name="duration_seconds", kind=ParamKind.NUMBER, default=2.5),
        ),
        provider="elevenlabs",
        model_id="eleven_text_to_sound_v2",
        provider_options={
            "endpoint": "/v1/sound-generation",
            "input_fields": {"prompt": "text"},
            "param_fields": {"prompt": "text"},
        },
    )


async def test_speech_is_generated_with_the_voice_in_the_path(
    eleven: ElevenLabsDouble, store: ArtifactStore
) -> None:
    run = await run_node(tts_spec(), store, {"text": "Welcome to Patchbay."})

    audio = run.outputs["audio"]
    assert isinstance(audio, Artifact)
    assert (audio.kind, audio.media_type, audio.filename) == (
        PortType.AUDIO,
        "audio/mpeg",
        "audio.mp3",
    )
    assert store.read_bytes(audio).startswith(b"ID3")
    (request,) = eleven.calls("POST")
    assert request.path == f"/v1/text-to-speech/{GEORGE}"
    assert request.query == {"output_format": ["mp3_44100_128"]}
    assert request.headers["xi-api-key"] == ELEVEN_KEY
    # Empty optional fields (voice_id, language_code) are not sent.
    assert request.json == {
        "text": "Welcome to Patchbay.",
        "voice_settings": {"stability": 0.5},
        "model_id": "eleven_multilingual_v2",
    }


async def test_a_voice_id_overrides_the_named_voice(
    eleven: ElevenLabsDouble, store: ArtifactStore
) -> None:
    await run_node(tts_spec(), store, {"text": "Hi", "voice_id": "EXAVITQu4vr4xnSDxMaL"})
    assert eleven.calls("POST")[0].path == "/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL"


async def test_an_unknown_voice_name_fails_before_any_request(
    eleven: ElevenLabsDouble, store: ArtifactStore
) -> None:
    spec = tts_spec(provider_options={**tts_spec().provider_options, "voices": {}})
    with pytest.raises(PermanentNodeError, match="no ElevenLabs voice: set 'voice'"):
        await run_node(spec, store, {"text": "Hi"})
    assert not eleven.requests


async def test_pcm_output_is_wrapped_as_wav(eleven: ElevenLabsDouble, store: ArtifactStore) -> None:
    run = await run_node(tts_spec(), store, {"text": "Hi", "output_format": "pcm_16000"})

    audio = run.outputs["audio"]
    assert isinstance(audio, Artifact) and audio.media_type == "audio/wav"
    data = store.read_bytes(audio)
    assert data[:4] == b"RIFF" and int.from_bytes(data[24:28], "little") == 16000


async def test_sound_effects_use_their_endpoint_and_model(
    eleven: ElevenLabsDouble, store: ArtifactStore
) -> None:
    run = await run_node(sound_spec(), store, {"prompt": "glass shattering"})

    assert isinstance(run.outputs["audio"], Artifact)
    (request,) = eleven.calls("POST")
    assert request.path == "/v1/sound-generation"
    assert request.json == {
        "text": "glass shattering",
        "duration_seconds": 2.5,
        "model_id": "eleven_text_to_sound_v2",
    }


async def test_busy_then_unavailable_are_retried_by_the_executor(
    eleven: ElevenLabsDouble, data_dir: Path
) -> None:
    busy = detail("too_many_concurrent_requests", "Too many concurrent requests.")
    eleven.fail_next("tts", 429, busy, headers={"Retry-After": "0"})
    eleven.fail_next("tts", 503, detail("system_busy", "The system is busy."))

    record = await run_workflow(tts_spec(), {"text": "Hello there"}, data_dir)

    assert record.status == ExecutionState.COMPLETED
    node = record.node("gen")
    assert node.status == NodeState.COMPLETED and node.attempts == 3
    assert isinstance(decode_value(record.outputs["gen"]), Artifact)


async def test_a_concurrency_limit_is_transient_with_elevenlabs_message(
    eleven: ElevenLabsDouble, store: ArtifactStore
) -> None:
    busy = {"detail": {"code": "concurrent_limit_exceeded", "message": "Too many requests."}}
    eleven.fail_next("tts", 429, busy, headers={"Retry-After": "3"})

    with pytest.raises(TransientNodeError) as caught:
        await run_node(tts_spec(), store, {"text": "Hi"})

    assert caught.value.retry_after == 3.0
    assert caught.value.message.endswith("(HTTP 429): Too many requests.")


async def test_an_exhausted_quota_is_permanent(eleven: ElevenLabsDouble, data_dir: Path) -> None:
    record = await run_workflow(tts_spec(), {"text": "over quota"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.kind == ErrorKind.PERMANENT
    assert node.error.message == (
        "ElevenLabs refused the request: the account's quota is used up (HTTP 401): "
        + QUOTA_MESSAGE
    )
    assert node.error.details["code"] == "billing"


async def test_a_bad_key_fails_permanently(
    eleven: ElevenLabsDouble, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELEVENLABS_API_KEY", "sk_wrong")

    record = await run_workflow(tts_spec(), {"text": "Hi"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.message == (
        "ElevenLabs rejected the API key (ELEVENLABS_API_KEY) (HTTP 401): Invalid API key"
    )


async def test_an_unknown_voice_id_is_permanent(
    eleven: ElevenLabsDouble, store: ArtifactStore
) -> None:
    with pytest.raises(PermanentNodeError) as caught:
        await run_node(tts_spec(), store, {"text": "Hi", "voice_id": "AAAAAAAAAAAAAAAAAAAA"})
    assert caught.value.message == (
        "ElevenLabs does not know this voice (HTTP 404): "
        "A voice with the voice_id AAAAAAAAAAAAAAAAAAAA was not found."
    )


async def test_empty_text_fails_before_any_request(
    eleven: ElevenLabsDouble, store: ArtifactStore
) -> None:
    with pytest.raises(PermanentNodeError, match="no text"):
        await run_node(tts_spec(), store, {"text": "   "})
    assert not eleven.requests


async def test_cancelling_closes_the_request_at_elevenlabs(
    eleven: ElevenLabsDouble, store: ArtifactStore
) -> None:
    task = start_node(tts_spec(), store, {"text": "a slow speech"})
    await eventually(lambda: eleven.calls("POST"))

    await cancelled(task)

    await eventually(lambda: eleven.aborted == [f"/v1/text-to-speech/{GEORGE}"])


async def test_the_key_never_leaks_on_any_failure_path(
    eleven: ElevenLabsDouble,
    data_dir: Path,
    store: ArtifactStore,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    eleven.fail_next("tts", 401, detail("invalid_api_key", f"Invalid API key {ELEVEN_KEY}"))
    eleven.fail_next("tts", 500, detail("internal", f"boom {ELEVEN_KEY}"), times=3)
    eleven.fail_next("tts", 422, {"detail": [{"loc": ["body", "text"], "msg": ELEVEN_KEY}]})
    seen: list[object] = []
    for text in ("leak 401", "leak 500", "leak 422", "quota"):
        record = await run_workflow(tts_spec(), {"text": text}, data_dir)
        assert record.status == ExecutionState.FAILED
        seen.append(record)
    eleven.fail_next("tts", 429, detail("rate_limit_exceeded", f"slow {ELEVEN_KEY}"))
    with pytest.raises(TransientNodeError) as transient:
        await run_node(tts_spec(), store, {"text": "x"})
    seen.append(transient.value)
    assert "[redacted]" in transient.value.message
    task = start_node(tts_spec(), store, {"text": "slow"})
    await eventually(lambda: eleven.calls("POST", "/text-to-speech"))
    await cancelled(task)
    monkeypatch.setenv("PATCHBAY_ELEVENLABS_BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(TransientNodeError) as unreachable:
        await run_node(tts_spec(), store, {"text": "x"})
    seen.append(unreachable.value)

    assert_secret_absent(ELEVEN_KEY, *seen, caplog=debug_logs)
