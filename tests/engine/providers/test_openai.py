"""The OpenAI-compatible adapter over real HTTP against the OpenAI double."""

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
from tests.engine.providers.doubles.media import png
from tests.engine.providers.doubles.openai import OpenAIDouble, error
from tests.engine.providers.doubles.server import DoubleServer

OPENAI_KEY = "sk-proj-T3stKeyForPatchbay0123456789abcdefABCDEF"
_VARIABLES = ("OPENAI_API_KEY", "PATCHBAY_OPENAI_BASE_URL", "LMSTUDIO_API_KEY")
_PROMPT = PortSpec(name="prompt", type=PortType.TEXT)
_PROMPT_PARAM = ParamSpec(name="prompt", kind=ParamKind.TEXT)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIDouble]:
    """The OpenAI API on 127.0.0.1, with the key and base URL (…/v1) pointing at it."""
    with OpenAIDouble(key=OPENAI_KEY) as double:
        monkeypatch.setenv("PATCHBAY_OPENAI_BASE_URL", double.url)
        monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
        yield double


def _spec(kind: str, **changes: Any) -> NodeSpec:
    """Hand-written specs shaped like engine/catalog/hosted/openai.json entries."""
    specs = {
        "image": NodeSpec(
            type="test.gpt-image-1",
            category=Category.IMAGE,
            display_name="GPT Image 1",
            inputs=(_PROMPT,),
            outputs=(PortSpec(name="image", type=PortType.IMAGE),),
            params=(
                _PROMPT_PARAM,
                ParamSpec(
                    name="size",
                    kind=ParamKind.ENUM,
                    default="auto",
                    choices=("auto", "1024x1024", "1536x1024"),
                ),
                ParamSpec(name="n", kind=ParamKind.INTEGER, default=1),
            ),
            provider="openai",
            model_id="gpt-image-1",
            pricing=Pricing(unit=PricingUnit.PER_IMAGE, credits=4.2, quantity_param="n"),
            provider_options={
                "endpoint": "/v1/images/generations",
                "output_paths": {"image": "data[0].b64_json"},
            },
        ),
        "chat": NodeSpec(
            type="test.gpt-4o-mini",
            category=Category.TEXT,
            display_name="GPT-4o mini",
            inputs=(_PROMPT,),
            outputs=(PortSpec(name="text", type=PortType.TEXT),),
            params=(
                _PROMPT_PARAM,
                ParamSpec(name="system", kind=ParamKind.TEXT, default="You are terse."),
                ParamSpec(name="temperature", kind=ParamKind.NUMBER, default=0.5),
            ),
            provider="openai",
            model_id="gpt-4o-mini",
            provider_options={
                "endpoint": "/v1/chat/completions",
                "chat": {"system": "system", "user": "prompt"},
                "output_paths": {"text": "choices[0].message.content"},
            },
        ),
        "speech": NodeSpec(
            type="test.tts-1",
            category=Category.AUDIO,
            display_name="TTS 1",
            inputs=(PortSpec(name="text", type=PortType.TEXT),),
            outputs=(PortSpec(name="audio", type=PortType.AUDIO),),
            params=(
                ParamSpec(name="text", kind=ParamKind.TEXT),
                ParamSpec(
                    name="voice", kind=ParamKind.ENUM, default="alloy", choices=("alloy", "nova")
                ),
                ParamSpec(
                    name="response_format",
                    kind=ParamKind.ENUM,
                    default="mp3",
                    choices=("mp3", "wav", "pcm"),
                ),
            ),
            provider="openai",
            model_id="tts-1",
            provider_options={
                "endpoint": "/v1/audio/speech",
                "response": "binary",
                "input_fields": {"text": "input"},
                "param_fields": {"text": "input"},
                "output_paths": {"audio": ""},
            },
        ),
        "edit": NodeSpec(
            type="test.gpt-image-1-edit",
            category=Category.EDITING,
            display_name="GPT Image 1 edit",
            inputs=(
                _PROMPT,
                PortSpec(name="image", type=PortType.IMAGE),
                PortSpec(name="mask", type=PortType.MASK, required=False),
            ),
            outputs=(PortSpec(name="image", type=PortType.IMAGE),),
            params=(_PROMPT_PARAM, ParamSpec(name="n", kind=ParamKind.INTEGER, default=1)),
            provider="openai",
            model_id="gpt-image-1",
            provider_options={
                "endpoint": "/v1/images/edits",
                "multipart": True,
                "output_paths": {"image": "data[0].b64_json"},
            },
        ),
        "local": NodeSpec(
            type="test.ollama-chat",
            category=Category.TEXT,
            display_name="Ollama chat",
            inputs=(_PROMPT,),
            outputs=(PortSpec(name="text", type=PortType.TEXT),),
            params=(
                _PROMPT_PARAM,
                ParamSpec(name="model", kind=ParamKind.STRING, default="llama3.2"),
                ParamSpec(name="base_url", kind=ParamKind.STRING, default="http://localhost:11434"),
                ParamSpec(name="credential", kind=ParamKind.STRING, default=""),
            ),
            provider="openai",
            model_id="llama3.2",
            provider_options={
                "self_hosted": True,
                "endpoint": "/v1/chat/completions",
                "model_param": "model",
                "base_url_param": "base_url",
                "credential_param": "credential",
                "output_paths": {"text": "choices[0].message.content"},
            },
        ),
    }
    return specs[kind].model_copy(update=changes)


async def test_generates_an_image_from_base64(openai: OpenAIDouble, store: ArtifactStore) -> None:
    run = await run_node(_spec("image"), store, {"prompt": "a red sneaker", "size": "1536x1024"})

    image = run.outputs["image"]
    assert isinstance(image, Artifact) and image.kind == PortType.IMAGE
    assert (image.media_type, image.metadata["width"], image.metadata["height"]) == (
        "image/png",
        96,
        64,
    )
    assert image.metadata["model"] == "gpt-image-1"
    (request,) = openai.calls("POST")
    assert request.path == "/v1/images/generations"  # the base URL's /v1 is not doubled
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert request.json == {
        "prompt": "a red sneaker",
        "size": "1536x1024",
        "n": 1,
        "model": "gpt-image-1",
    }
    assert run.progress[-1][0] == 1.0


async def test_an_image_url_is_downloaded_without_the_key(
    openai: OpenAIDouble, store: ArtifactStore
) -> None:
    spec = _spec(
        "image",
        model_id="dall-e-3",
        provider_options={
            "endpoint": "/v1/images/generations",
            "fixed_fields": {"response_format": "url"},
            "output_paths": {"image": "data[0].url"},
        },
    )
    with DoubleServer() as cdn:
        openai.cdn = cdn
        run = await run_node(spec, store, {"prompt": "a lighthouse", "size": "1024x1024"})
        (download,) = cdn.calls("GET", "/files/")

    assert isinstance(run.outputs["image"], Artifact)
    assert run.outputs["image"].metadata["sourceUrl"].startswith(cdn.origin)
    assert "authorization" not in download.headers


async def test_chat_builds_messages_from_the_system_parameter_and_prompt(
    openai: OpenAIDouble, store: ArtifactStore
) -> None:
    run = await run_node(_spec("chat"), store, {"prompt": "hello there"})

    assert run.outputs == {"text": "echo: hello there"}
    body = openai.calls("POST")[0].json
    assert body == {
        "temperature": 0.5,
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "hello there"},
        ],
    }


async def test_chat_can_send_an_image_with_the_prompt(
    openai: OpenAIDouble, store: ArtifactStore
) -> None:
    picture = store.put_bytes(png(8, 8), kind=PortType.IMAGE, media_type="image/png")
    spec = _spec(
        "chat",
        inputs=(_PROMPT, PortSpec(name="image", type=PortType.IMAGE)),
        provider_options={"endpoint": "/v1/chat/completions", "chat": {"images": "image"}},
    )

    run = await run_node(spec, store, {"prompt": "what is this?"}, {"image": picture})

    assert run.outputs["text"] == "echo: what is this? [+1 image(s)]"
    content = openai.calls("POST")[0].json["messages"][-1]["content"]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")


@pytest.mark.parametrize(
    ("response_format", "media_type", "magic"),
    [("mp3", "audio/mpeg", b"ID3"), ("wav", "audio/wav", b"RIFF"), ("pcm", "audio/wav", b"RIFF")],
)
async def test_speech_is_stored_as_audio_of_its_format(
    openai: OpenAIDouble, store: ArtifactStore, response_format: str, media_type: str, magic: bytes
) -> None:
    params = {"text": "Welcome to Patchbay.", "response_format": response_format}
    run = await run_node(_spec("speech"), store, params)

    audio = run.outputs["audio"]
    assert isinstance(audio, Artifact)
    assert (audio.kind, audio.media_type) == (PortType.AUDIO, media_type)
    data = store.read_bytes(audio)
    assert data.startswith(magic)
    if response_format == "pcm":  # raw 24 kHz samples wrapped in a WAV header
        assert int.from_bytes(data[24:28], "little") == 24000
    body = openai.calls("POST")[0].json
    assert body == {
        "input": "Welcome to Patchbay.",
        "voice": "alloy",
        "response_format": response_format,
        "model": "tts-1",
    }


async def test_an_edit_is_sent_as_a_multipart_form(
    openai: OpenAIDouble, store: ArtifactStore
) -> None:
    picture = store.put_bytes(png(40, 30), kind=PortType.IMAGE, media_type="image/png")
    mask = store.put_bytes(png(40, 30), kind=PortType.MASK, media_type="image/png")

    run = await run_node(
        _spec("edit"), store, {"prompt": "make it blue"}, {"image": picture, "mask": mask}
    )

    image = run.outputs["image"]
    assert isinstance(image, Artifact) and (image.metadata["width"], image.metadata["height"]) == (
        40,
        30,
    )
    (form,) = openai.forms
    assert form.fields == {"prompt": "make it blue", "n": "1", "model": "gpt-image-1"}
    (name, media_type, data) = form.files["image"][0]
    assert (name.endswith(".png"), media_type, data) == (
        True,
        "image/png",
        store.read_bytes(picture),
    )
    assert form.files["mask"][0][2] == store.read_bytes(mask)


async def test_a_429_then_a_503_are_retried_by_the_executor(
    openai: OpenAIDouble, data_dir: Path
) -> None:
    limited = error("Rate limit reached for requests", "requests", "rate_limit_exceeded")
    openai.fail_next("generations", 429, limited, headers={"retry-after-ms": "0"})
    openai.fail_next(
        "generations", 503, error("The engine is currently overloaded", "server_error", None)
    )

    record = await run_workflow(_spec("image"), {"prompt": "a kite"}, data_dir)

    assert record.status == ExecutionState.COMPLETED
    node = record.node("gen")
    assert node.status == NodeState.COMPLETED and node.attempts == 3
    assert node.credits == 4.2
    assert isinstance(decode_value(record.outputs["gen"]), Artifact)


async def test_a_rate_limit_waits_for_the_exhausted_limit_to_reset(
    openai: OpenAIDouble, store: ArtifactStore
) -> None:
    headers = {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1.5s",
        "x-ratelimit-remaining-tokens": "900",
        "x-ratelimit-reset-tokens": "6m0s",
    }
    openai.fail_next(
        "chat", 429, error("Rate limit reached", "requests", "rate_limit_exceeded"), headers=headers
    )

    with pytest.raises(TransientNodeError) as caught:
        await run_node(_spec("chat"), store, {"prompt": "hi"})

    assert caught.value.retry_after == 1.5
    assert "rate limited (HTTP 429): Rate limit reached" in caught.value.message


async def test_an_exhausted_quota_is_permanent(openai: OpenAIDouble, data_dir: Path) -> None:
    quota = error(
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        "insufficient_quota",
    )
    openai.fail_next("chat", 429, quota, times=3)

    record = await run_workflow(_spec("chat"), {"prompt": "hi"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.kind == ErrorKind.PERMANENT
    assert node.error.details["code"] == "billing"
    assert node.error.message.endswith(
        "(HTTP 429): You exceeded your current quota, please check your plan and billing details."
    )


async def test_a_moderation_refusal_is_permanent_with_openais_message(
    openai: OpenAIDouble, data_dir: Path
) -> None:
    record = await run_workflow(_spec("image"), {"prompt": "something forbidden"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.kind == ErrorKind.PERMANENT
    assert node.error.details["code"] == "moderation"
    assert (
        "refused the request (content policy): Your request was rejected as a result of our "
        "safety system." in node.error.message
    )
    assert node.credits == 0


async def test_a_chat_refusal_is_permanent(openai: OpenAIDouble, store: ArtifactStore) -> None:
    with pytest.raises(PermanentNodeError) as caught:
        await run_node(_spec("chat"), store, {"prompt": "please refuse"})
    assert caught.value.message.endswith("refused: I'm sorry, I can't help with that.")
    assert caught.value.details["code"] == "moderation"


async def test_a_bad_key_fails_permanently_with_the_servers_message(
    openai: OpenAIDouble, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-0000000000000000")

    record = await run_workflow(_spec("chat"), {"prompt": "hi"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.details["code"] == "auth"
    host = openai.origin.removeprefix("http://")
    assert node.error.message.startswith(
        f"the OpenAI-compatible server at {host} rejected the API key (OPENAI_API_KEY) (HTTP 401): "
        "Incorrect API key provided: sk-****0000."
    )


async def test_an_unknown_model_is_permanent(openai: OpenAIDouble, store: ArtifactStore) -> None:
    with pytest.raises(
        PermanentNodeError, match=r"\(HTTP 404\): The model `missing-model` does not exist"
    ):
        await run_node(_spec("chat", model_id="missing-model"), store, {"prompt": "hi"})


async def test_cancelling_closes_the_request_at_the_server(
    openai: OpenAIDouble, store: ArtifactStore
) -> None:
    task = start_node(_spec("chat"), store, {"prompt": "a slow answer"})
    await eventually(lambda: openai.calls("POST"))

    await cancelled(task)

    await eventually(lambda: openai.aborted == ["/v1/chat/completions"])


async def test_without_a_key_openai_itself_is_not_called(store: ArtifactStore) -> None:
    with pytest.raises(PermanentNodeError) as caught:
        await run_node(_spec("chat"), store, {"prompt": "hi"})

    assert caught.value.message == (
        "No API key for OpenAI: set the OPENAI_API_KEY environment variable or store it in "
        "the OS keyring (python -m keyring set patchbay OPENAI_API_KEY), or run in preview mode"
    )
    assert caught.value.details["code"] == "missing_credential"


async def test_a_local_server_needs_no_key_and_gets_none(
    store: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    with OpenAIDouble(key=None) as ollama:
        run = await run_node(
            _spec("local"), store, {"prompt": "hi", "base_url": ollama.origin, "model": "qwen3"}
        )
        (request,) = ollama.calls("POST")

    assert run.outputs == {"text": "echo: hi"}
    assert request.path == "/v1/chat/completions"
    assert "authorization" not in request.headers  # a self-hosted entry never gets OPENAI_API_KEY
    assert request.json["model"] == "qwen3"
    assert set(request.json) == {"model", "messages"}


async def test_on_a_server_a_workflow_cannot_point_a_node_at_an_internal_address(
    store: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.providers.common import _refuse_internal

    with OpenAIDouble(key=None) as ollama:
        params = {"prompt": "hi", "base_url": ollama.origin, "model": "qwen3"}
        with pytest.raises(PermanentNodeError) as caught:
            await run_node(_spec("local"), store, params, confined=True)
        assert ollama.calls("POST") == []  # refused before any request
        assert caught.value.details["code"] == "internal_address"
        assert "127.0.0.1" in caught.value.message

        # A server the operator configured may be internal: it is not typed into a workflow.
        monkeypatch.setenv("PATCHBAY_OPENAI_BASE_URL", ollama.origin)
        configured = {"prompt": "hi", "model": "qwen3"}
        run = await run_node(_spec("local"), store, configured, confined=True)
        assert run.outputs == {"text": "echo: hi"}

    for internal in ("http://10.0.0.7:8188", "http://169.254.169.254", "http://[::1]:11434"):
        with pytest.raises(PermanentNodeError):
            await _refuse_internal(internal, "openai")
    await _refuse_internal("https://93.184.216.34/v1", "openai")  # a public address passes


async def test_a_key_is_never_sent_to_a_server_named_in_the_workflow(
    openai: OpenAIDouble, store: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(
        "image",
        params=(*_spec("image").params, ParamSpec(name="base_url", kind=ParamKind.STRING)),
        provider_options={
            **_spec("image").provider_options,
            "base_url_param": "base_url",
            "credential_param": "credential",
        },
    )
    with OpenAIDouble(key=None) as elsewhere:
        await run_node(spec, store, {"prompt": "a kite", "base_url": elsewhere.url})
        (request,) = elsewhere.calls("POST")
    assert "authorization" not in request.headers

    # The same address as the configured one is trusted; a server that needs a key says why.
    await run_node(spec, store, {"prompt": "a kite", "base_url": openai.url})
    assert openai.calls("POST")[-1].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    with (
        OpenAIDouble(key="sk-other-server-key-123456") as guarded,
        pytest.raises(PermanentNodeError) as caught,
    ):
        await run_node(spec, store, {"prompt": "a kite", "base_url": guarded.url})
    assert "the key is not sent to a server address typed into the workflow" in caught.value.message


async def test_a_local_server_key_is_named_not_stored_in_the_workflow(
    store: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIDouble(key="lm-studio-secret-key-42") as lmstudio:
        monkeypatch.setenv("LMSTUDIO_API_KEY", "lm-studio-secret-key-42")
        local = _spec("local")
        spec = local.model_copy(
            update={
                "params": (
                    *local.params[:2],
                    ParamSpec(name="base_url", kind=ParamKind.STRING, default=lmstudio.origin),
                    local.params[3],
                )
            }
        )
        run = await run_node(spec, store, {"prompt": "hi", "credential": "LMSTUDIO_API_KEY"})
        assert run.outputs == {"text": "echo: hi"}
        assert (
            lmstudio.calls("POST")[0].headers["authorization"] == "Bearer lm-studio-secret-key-42"
        )

        with pytest.raises(PermanentNodeError) as caught:
            await run_node(spec, store, {"prompt": "hi", "credential": "lm-studio secret key 42"})
    assert "lm-studio secret" not in caught.value.message
    assert "must not hold the key itself" in caught.value.message


async def test_a_null_credential_sends_no_key(openai: OpenAIDouble, store: ArtifactStore) -> None:
    spec = _spec("chat", provider_options={**_spec("chat").provider_options, "credential": None})
    with OpenAIDouble(key=None) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATCHBAY_OPENAI_BASE_URL", server.url)
        run = await run_node(spec, store, {"prompt": "hi"})
        (request,) = server.calls("POST")
    assert run.outputs == {"text": "echo: hi"}
    assert "authorization" not in request.headers


async def test_the_key_never_leaks_on_any_failure_path(
    openai: OpenAIDouble,
    data_dir: Path,
    store: ArtifactStore,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    openai.fail_next(
        "chat",
        401,
        error(
            f"Incorrect API key provided: {OPENAI_KEY}", "invalid_request_error", "invalid_api_key"
        ),
    )
    openai.fail_next("chat", 500, error(f"boom for {OPENAI_KEY}", "server_error", None), times=3)
    openai.fail_next(
        "chat", 400, error(f"bad {OPENAI_KEY}", "invalid_request_error", "content_policy_violation")
    )
    seen: list[object] = []
    for prompt in ("leak 401", "leak 500", "leak moderation", "please refuse"):
        record = await run_workflow(_spec("chat"), {"prompt": prompt}, data_dir)
        assert record.status == ExecutionState.FAILED
        seen.append(record)
    for prompt in ("forbidden", "malformed"):
        with pytest.raises(PermanentNodeError) as caught:
            await run_node(_spec("image"), store, {"prompt": prompt})
        seen.append(caught.value)
    openai.fail_next(
        "chat",
        429,
        error(f"slow down {OPENAI_KEY}", "requests", "rate_limit_exceeded"),
        headers={"Retry-After": "1"},
    )
    with pytest.raises(TransientNodeError) as transient:
        await run_node(_spec("chat"), store, {"prompt": "x"})
    seen.append(transient.value)
    assert "[redacted]" in transient.value.message
    task = start_node(_spec("chat"), store, {"prompt": "slow"})
    await eventually(lambda: openai.calls("POST", "/chat"))
    await cancelled(task)
    monkeypatch.setenv("PATCHBAY_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(TransientNodeError) as unreachable:
        await run_node(_spec("chat"), store, {"prompt": "x"})
    seen.append(unreachable.value)

    assert_secret_absent(OPENAI_KEY, *seen, caplog=debug_logs)
    assert any("httpx" in r.name or "httpcore" in r.name for r in debug_logs.records)


async def test_an_entry_with_its_own_service_uses_its_own_key_and_address(
    openai: OpenAIDouble, store: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIDouble(key="sk-ant-test-key-0123456789") as anthropic:
        chat = _spec("chat")
        options = {
            **chat.provider_options,
            "base_url": anthropic.origin,
            "credential": "ANTHROPIC_API_KEY",
            "label": "Anthropic",
        }
        spec = chat.model_copy(update={"provider_options": options})
        with pytest.raises(PermanentNodeError) as caught:
            await run_node(spec, store, {"prompt": "hi"})
        assert caught.value.message == (
            "No API key for Anthropic: set the ANTHROPIC_API_KEY environment variable or store "
            "it in the OS keyring (python -m keyring set patchbay ANTHROPIC_API_KEY), or run "
            "in preview mode"
        )

        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-0123456789")
        run = await run_node(spec, store, {"prompt": "hi"})
        (request,) = anthropic.calls("POST")

    assert run.outputs == {"text": "echo: hi"}
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-ant-test-key-0123456789"
    assert not openai.requests  # PATCHBAY_OPENAI_BASE_URL does not redirect it
