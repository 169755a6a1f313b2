"""Shared provider plumbing: redaction, error mapping, Retry-After, paths, media."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import httpx
import pytest

from engine.artifacts import ArtifactStore
from engine.catalog import NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError, TransientNodeError
from engine.providers.base import ProviderCall, progress_from_logs
from engine.providers.http import (
    MAX_RETRY_AFTER_S,
    PollPolicy,
    Redactor,
    describe_body,
    error_for_status,
    error_for_transport,
    parse_retry_after,
)
from engine.providers.mapping import PathError, build_arguments, collect_outputs, get_path
from engine.providers.media import MediaRef, decode_data_uri, media_ref, store_media
from engine.values import Artifact, Batch
from tests.engine.providers.conftest import context, fal_flux_spec
from tests.engine.providers.doubles.media import png

KEY = "a1b2c3d4-key-id:0123456789abcdef-secret"


def test_redactor_scrubs_the_key_and_each_long_half() -> None:
    redact = Redactor([KEY, None, ""])
    assert redact(f"bad key {KEY}!") == "bad key [redacted]!"
    assert redact("id a1b2c3d4-key-id only") == "id [redacted] only"
    assert redact("secret 0123456789abcdef-secret") == "secret [redacted]"
    assert redact.value({"a": [KEY, 3], "b": {"c": KEY}}) == {
        "a": ["[redacted]", 3],
        "b": {"c": "[redacted]"},
    }
    assert Redactor([])("nothing to hide") == "nothing to hide"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("999999", MAX_RETRY_AFTER_S),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_retry_after_parses_seconds_and_http_dates(header: str | None, expected: float) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(header, now=now) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"detail": "Request timed out", "error_type": "request_timeout"}, "Request timed out"),
        ({"detail": [{"loc": ["body", "seed"], "msg": "not an int"}]}, "seed: not an int"),
        (
            {"title": "Unauthenticated", "detail": "bad token", "status": 401},
            "Unauthenticated: bad token",
        ),
        (
            {"error": {"message": "Incorrect API key", "type": "invalid_request_error"}},
            "Incorrect API key",
        ),
        ({"error": "quota exhausted"}, "quota exhausted"),
        ({"message": "nope"}, "nope"),
        ([{"msg": "a"}, {"msg": "b"}], "a; b"),
        ("<html>oops</html>", "<html>oops</html>"),
        ({"unrelated": 1}, "fallback"),
        (None, "fallback"),
    ],
)
def test_provider_messages_are_found_in_common_error_shapes(body: Any, expected: str) -> None:
    assert describe_body(body, "fallback") == expected


def _response(status: int, body: Any = None, **headers: str) -> httpx.Response:
    request = httpx.Request("POST", "https://api.example/v1/x")
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "transient", "code"),
    [
        (400, False, "invalid_request"),
        (401, False, "auth"),
        (402, False, "billing"),
        (403, False, "auth"),
        (404, False, "invalid_request"),
        (408, True, "unavailable"),
        (422, False, "invalid_request"),
        (429, True, "rate_limited"),
        (500, True, "unavailable"),
        (503, True, "unavailable"),
    ],
)
def test_http_statuses_map_to_transient_or_permanent(
    status: int, transient: bool, code: str
) -> None:
    error = error_for_status(
        _response(status, {"detail": "why"}, **{"Retry-After": "3"}),
        provider="Acme",
        redact=Redactor([]),
        credential="ACME_KEY",
    )
    assert isinstance(error, TransientNodeError if transient else PermanentNodeError)
    assert error.details["code"] == code and error.details["status"] == status
    assert error.message.endswith(f"(HTTP {status}): why")
    if transient:
        assert isinstance(error, TransientNodeError) and error.retry_after == 3.0
    if code == "auth":
        assert "ACME_KEY" in error.message


def test_a_moderation_message_is_marked_as_such() -> None:
    error = error_for_status(
        _response(400, {"error": {"message": "Your request was rejected by our safety system"}}),
        provider="Acme",
        redact=Redactor([]),
    )
    assert error.message == (
        "Acme refused the request (HTTP 400): Your request was rejected by our safety system"
    )
    assert error.details["code"] == "moderation"


def test_provider_messages_are_redacted_and_cut() -> None:
    error = error_for_status(
        _response(500, {"detail": f"key {KEY} " + "x" * 2000}),
        provider="Acme",
        redact=Redactor([KEY]),
    )
    assert KEY not in error.message and "[redacted]" in error.message
    assert len(error.message) < 600


def test_transport_failures_are_transient() -> None:
    request = httpx.Request("GET", "https://api.example/")
    timeout = error_for_transport(
        httpx.ReadTimeout("read timed out", request=request), provider="Acme", redact=Redactor([])
    )
    refused = error_for_transport(
        httpx.ConnectError("refused", request=request), provider="Acme", redact=Redactor([])
    )
    assert isinstance(timeout, TransientNodeError) and timeout.details["code"] == "timeout"
    assert timeout.message == "Acme timed out: read timed out"
    assert isinstance(refused, TransientNodeError) and refused.details["code"] == "connection"


def test_poll_delays_back_off_to_a_cap() -> None:
    delays = list(itertools.islice(PollPolicy().delays(), 8))
    assert delays[0] == 0.5 and delays[-1] == 5.0
    assert delays == sorted(delays)
    with pytest.raises(ValueError):
        PollPolicy(multiplier=0.5)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Loading", " 45%|####5     | 9/20"], 0.45),
        (["step 3/12"], 0.25),
        (["done 12/10"], None),
        (["no numbers here"], None),
        ([], None),
    ],
)
def test_progress_is_read_from_log_lines(lines: list[str], expected: float | None) -> None:
    assert progress_from_logs(lines) == expected


def test_result_paths() -> None:
    result = {"images": [{"url": "u0"}, {"url": "u1"}], "video": {"url": "v"}, "n": 3}
    assert get_path(result, "images[0].url") == "u0"
    assert get_path(result, "images[-1].url") == "u1"
    assert get_path(result, "images[*].url") == ["u0", "u1"]
    assert get_path(result, "video") == {"url": "v"}
    assert get_path(result, "") is result
    assert get_path(["a", "b"], "[1]") == "b"
    with pytest.raises(PathError, match="no item \\[2\\]"):
        get_path(result, "images[2].url")
    with pytest.raises(PathError, match="no field 'audio'"):
        get_path(result, "audio.url")


async def test_arguments_follow_the_fields_mapping(tmp_path: Any) -> None:
    spec = NodeSpec(
        type="t.x",
        category="image",
        display_name="x",
        inputs=(
            PortSpec(name="prompt", type=PortType.TEXT),
            PortSpec(name="image", type=PortType.IMAGE, required=False),
            PortSpec(name="refs", type=PortType.IMAGE, is_list=True, required=False),
        ),
        params=(
            ParamSpec(name="prompt", kind=ParamKind.TEXT),
            ParamSpec(name="width", kind=ParamKind.INTEGER),
            ParamSpec(name="height", kind=ParamKind.INTEGER),
            ParamSpec(name="internal", kind=ParamKind.NUMBER),
            ParamSpec(name="seed", kind=ParamKind.SEED),
        ),
        provider="fal",
        provider_options={
            "input_fields": {"image": "image_url", "refs": "reference_urls"},
            "param_fields": {
                "width": "image_size.width",
                "height": "image_size.height",
                "internal": None,
            },
            "fixed_fields": {"output_format": "png"},
        },
    )

    async def encode(port: PortSpec, value: Any) -> Any:
        return f"<{port.name}:{value}>"

    body = await build_arguments(
        spec,
        {"prompt": "typed", "width": 640, "height": 480, "internal": 1.0, "seed": None},
        {"prompt": "wired", "image": "img", "refs": Batch(("a", "b"))},
        encode,
    )
    assert body == {
        "prompt": "wired",
        "image_size": {"width": 640, "height": 480},
        "image_url": "<image:img>",
        "reference_urls": "<refs:['a', 'b']>",
        "output_format": "png",
    }


async def test_outputs_are_collected_by_port_type(tmp_path: Any) -> None:
    spec = NodeSpec(
        type="t.y",
        category="text",
        display_name="y",
        outputs=(
            PortSpec(name="text", type=PortType.TEXT),
            PortSpec(name="score", type=PortType.NUMBER),
            PortSpec(name="images", type=PortType.IMAGE, is_list=True),
            PortSpec(name="raw", type=PortType.JSON),
        ),
        provider="fal",
        provider_options={"output_paths": {"images": "images", "score": "score", "raw": ""}},
    )
    stored: list[str] = []

    async def store(port: PortSpec, value: Any) -> Any:
        stored.append(media_ref(value).url)
        return f"artifact:{media_ref(value).url}"

    result = {"output": ["Hel", "lo"], "score": 0.5, "images": [{"url": "a"}, "b"]}
    outputs = await collect_outputs(spec, result, {PortType.TEXT: ("missing", "output")}, store)
    assert outputs["text"] == "Hello" and outputs["score"] == 0.5
    assert outputs["images"] == Batch(("artifact:a", "artifact:b")) and stored == ["a", "b"]
    assert outputs["raw"] is result

    with pytest.raises(PermanentNodeError, match="for number output 'score'"):
        await collect_outputs(
            spec, {**result, "score": "high"}, {PortType.TEXT: ("output",)}, store
        )


def test_data_uris_decode_with_a_limit() -> None:
    data = b"\x00\x01hello"
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    assert decode_data_uri(uri, limit=100) == (data, "image/png")
    assert decode_data_uri("data:,a%20b", limit=100) == (b"a b", None)
    with pytest.raises(PermanentNodeError, match="larger than 4 bytes"):
        decode_data_uri(uri, limit=4)
    with pytest.raises(PermanentNodeError, match="not base64"):
        decode_data_uri("data:image/png;base64,@@@", limit=100)


def test_media_checks_refuse_what_the_port_cannot_hold(tmp_path: Any) -> None:
    store = ArtifactStore(tmp_path)
    ctx = context(fal_flux_spec(), store, {"prompt": "x"})
    image_port = PortSpec(name="image", type=PortType.IMAGE)
    ref = MediaRef("https://cdn.example/files/out.jpg")

    artifact = store_media(ctx, image_port, png(5, 4), ref, content_type=None, metadata={})
    assert isinstance(artifact, Artifact)
    assert (artifact.media_type, artifact.filename) == ("image/png", "out.jpg")  # bytes win
    assert artifact.metadata == {
        "sourceUrl": "https://cdn.example/files/out.jpg",
        "width": 5,
        "height": 4,
    }
    with pytest.raises(PermanentNodeError, match="not an image"):
        store_media(ctx, image_port, b"GIF-ish junk", ref, content_type="image/gif", metadata={})
    with pytest.raises(PermanentNodeError, match="returned text/html instead of video"):
        store_media(
            ctx,
            PortSpec(name="clip", type=PortType.VIDEO),
            b"<html>",
            MediaRef("https://cdn.example/x"),
            content_type="text/html; charset=utf-8",
            metadata={},
        )
    audio = store_media(
        ctx,
        PortSpec(name="speech", type=PortType.AUDIO),
        b"ID3....",
        MediaRef("https://cdn.example/speech"),
        content_type="application/octet-stream",
        metadata={},
    )
    assert audio.media_type == "audio/mpeg" and audio.kind == PortType.AUDIO


async def test_store_bytes_keeps_media_sent_in_the_response_body(tmp_path: Any) -> None:
    from engine.providers.fal import FalProvider
    from tests.engine.providers.doubles.media import wav

    store = ArtifactStore(tmp_path)
    spec = fal_flux_spec()
    ctx = context(spec, store, {"prompt": "x"})
    async with FalProvider(api_key=None) as provider:
        artifact = await provider.store_bytes(
            ProviderCall(spec, ctx.params, {}, ctx),
            PortSpec(name="speech", type=PortType.AUDIO),
            wav(),
            media_type="audio/wav",
            filename="speech.wav",
        )
    assert (artifact.kind, artifact.media_type, artifact.filename) == (
        PortType.AUDIO,
        "audio/wav",
        "speech.wav",
    )
    assert artifact.metadata == {"provider": "fal", "model": "fal-ai/flux/dev"}
    assert store.read_bytes(artifact) == wav()
