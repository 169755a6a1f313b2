"""ElevenLabs adapter: text to speech, sound effects and music.

Protocol (https://elevenlabs.io/docs/api-reference/text-to-speech/convert,
https://elevenlabs.io/docs/api-reference/text-to-sound-effects/convert,
https://elevenlabs.io/docs/api-reference/authentication), header
``xi-api-key: <ELEVENLABS_API_KEY>``:

- ``POST /v1/text-to-speech/{voice_id}?output_format=mp3_44100_128`` with
  ``{"text", "model_id", "voice_settings": {stability, similarity_boost, style,
  use_speaker_boost, speed}, "seed", "language_code"}`` → the audio file
  (``audio/mpeg``);
- ``POST /v1/sound-generation`` with ``{"text", "duration_seconds",
  "prompt_influence", "loop", "model_id"}`` → the audio file.

``provider_options``: ``endpoint`` (default: text to speech; ``{voice_id}`` is
filled in), ``voice_param`` / ``voice_id_param`` (the parameters naming the voice:
a name looked up in ``voices`` — ``{name: voice_id}`` — or a raw voice id; a
non-empty voice id wins), ``query_params`` (parameters sent in the query string,
default ``["output_format"]``) and the usual field mappings. ``model_id`` is sent
from the node's model id unless a field sets it. ``pcm_<rate>`` output is
wrapped as WAV.

The call is synchronous: cancelling a run closes the HTTP request, which is how
ElevenLabs learns the client gave up.

Errors (https://elevenlabs.io/docs/eleven-api/resources/errors):
``{"detail": {"type", "code", "message", "status" (legacy), "request_id", "param"}}``
or FastAPI's ``{"detail": [{loc, msg, type}]}`` for 422. 401 ``invalid_api_key``
(permanent), ``quota_exceeded`` (permanent, billing — ElevenLabs sends it as a
401), 429 ``rate_limit_exceeded`` / ``concurrent_limit_exceeded`` (legacy
``too_many_concurrent_requests``, ``system_busy``: transient).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from engine.errors import NodeError, PermanentNodeError, TransientNodeError
from engine.providers.base import Provider, ProviderCall
from engine.providers.common import consumed, pcm_to_wav, usable_params
from engine.providers.http import describe_body, parse_retry_after, read_json

__all__ = ["ElevenLabsProvider"]

_TTS_ENDPOINT = "/v1/text-to-speech/{voice_id}"
_BILLING_CODES = frozenset({"quota_exceeded", "payment_required", "insufficient_credits"})
_BUSY_CODES = frozenset(
    {
        "rate_limit_exceeded",
        "concurrent_limit_exceeded",
        "too_many_concurrent_requests",
        "system_busy",
    }
)
_RAW_VOICE_ID = re.compile(r"^[A-Za-z0-9]{16,40}$")
_MEDIA_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "ulaw": "audio/basic",
    "alaw": "audio/x-alaw-basic",
    "wav": "audio/wav",
    "pcm": "audio/wav",
}


class ElevenLabsProvider(Provider):
    """Speech and sound from ElevenLabs (see the module docstring)."""

    name = "elevenlabs"
    label = "ElevenLabs"
    credential = "ELEVENLABS_API_KEY"
    default_base_url = "https://api.elevenlabs.io"

    def auth_headers(self) -> dict[str, str]:
        return {"xi-api-key": self.api_key} if self.api_key else {}

    async def run(self, call: ProviderCall) -> dict[str, Any]:
        spec = call.spec
        options = spec.provider_options
        params = usable_params(call.params)
        endpoint = str(options.get("endpoint") or _TTS_ENDPOINT)
        voice_param = str(options.get("voice_param") or "voice")
        voice_id_param = str(options.get("voice_id_param") or "voice_id")
        query_names = [str(n) for n in options.get("query_params", ["output_format"]) or []]
        if "{voice_id}" in endpoint:
            voice_id = self._voice_id(call, params, voice_param, voice_id_param)
            endpoint = endpoint.replace("{voice_id}", quote(voice_id, safe=""))
        mapped = consumed(spec, [voice_param, voice_id_param, *query_names])
        body = await self.arguments(ProviderCall(mapped, params, call.inputs, call.ctx))
        if spec.model_id and "model_id" not in body:
            body["model_id"] = spec.model_id
        text = body.get("text")
        if "text" in body and (not isinstance(text, str) or not text.strip()):
            raise PermanentNodeError(
                "no text: type some or wire text into the node",
                details={"code": "invalid_input", "provider": self.name},
            )
        query = {name: str(params[name]) for name in query_names if name in params}
        progress = self.progress(call)
        progress(0.0, "generating audio on ElevenLabs")
        response = await self.request("POST", endpoint, json=body, params=query)
        outputs = await self._store(call, response, query.get("output_format", ""))
        progress(1.0)
        return outputs

    def _voice_id(
        self, call: ProviderCall, params: Mapping[str, Any], voice_param: str, id_param: str
    ) -> str:
        explicit = params.get(id_param)
        if isinstance(explicit, str) and explicit.strip():
            return explicit.strip()
        name = params.get(voice_param)
        voices = call.spec.provider_options.get("voices") or {}
        if isinstance(name, str) and isinstance(voices, Mapping) and name in voices:
            return str(voices[name])
        if isinstance(name, str) and _RAW_VOICE_ID.match(name):
            return name
        known = ", ".join(sorted(map(str, voices))[:8]) if isinstance(voices, Mapping) else ""
        raise PermanentNodeError(
            f"no ElevenLabs voice: set {voice_param!r}"
            + (f" (one of {known} …)" if known else "")
            + f" or a voice id in {id_param!r}",
            details={"code": "invalid_param", "param": voice_param, "provider": self.name},
        )

    async def _store(
        self, call: ProviderCall, response: httpx.Response, output_format: str
    ) -> dict[str, Any]:
        port = next((p for p in call.spec.outputs if p.type.is_media), None)
        if port is None:
            raise PermanentNodeError(f"node type {call.spec.type} has no audio output")
        data = response.content
        if len(data) > self.max_download:
            raise PermanentNodeError(
                f"the audio from ElevenLabs is larger than {self.max_download} bytes",
                details={"provider": self.name, "code": "too_large"},
            )
        codec, _, rate = output_format.partition("_")
        declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if codec == "pcm":
            sample_rate = int(rate.split("_")[0]) if rate.split("_")[0].isdigit() else 44100
            data, declared = pcm_to_wav(data, rate=sample_rate), "audio/wav"
        media_type = declared if declared.startswith("audio/") else _MEDIA_TYPES.get(codec)
        extension = {"mp3": "mp3", "opus": "ogg", "pcm": "wav", "wav": "wav"}.get(codec, "mp3")
        artifact = await self.store_bytes(
            call,
            port,
            data,
            media_type=media_type or declared or None,
            filename=f"{port.name}.{extension}",
        )
        return {port.name: artifact}

    def error_for_response(
        self, response: httpx.Response, details: Mapping[str, object] | None = None
    ) -> NodeError:
        body = read_json(response)
        detail = body.get("detail") if isinstance(body, Mapping) else None
        info: Mapping[str, Any] = detail if isinstance(detail, Mapping) else {}
        code = str(info.get("code") or info.get("status") or "")
        extra: dict[str, object] = dict(details or {})
        request_id = info.get("request_id") or response.headers.get("request-id")
        if isinstance(request_id, str) and request_id:
            extra["requestId"] = request_id
        if code:
            extra["errorCode"] = code
        base = super().error_for_response(response, extra)
        said = self.redact(describe_body(body, response.reason_phrase or ""))[:300]
        status = response.status_code
        if code in _BILLING_CODES:
            return PermanentNodeError(
                f"ElevenLabs refused the request: the account's quota is used up "
                f"(HTTP {status}): {said}",
                details={**base.details, "code": "billing"},
            )
        if code in _BUSY_CODES and not isinstance(base, TransientNodeError):
            return TransientNodeError(
                f"ElevenLabs is busy (HTTP {status}): {said}",
                retry_after=parse_retry_after(response.headers.get("retry-after")),
                details={**base.details, "code": "rate_limited"},
            )
        if code == "voice_not_found":
            return PermanentNodeError(
                f"ElevenLabs does not know this voice (HTTP {status}): {said}",
                details={**base.details, "code": "invalid_request"},
            )
        return base
