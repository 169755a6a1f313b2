"""OpenAI-compatible adapter: images, image edits, chat completions and speech.

Protocol (https://platform.openai.com/docs/api-reference/images/create,
https://platform.openai.com/docs/api-reference/images/createEdit,
https://platform.openai.com/docs/api-reference/chat/create,
https://platform.openai.com/docs/api-reference/audio/createSpeech), all with
``Authorization: Bearer <OPENAI_API_KEY>``:

- ``POST /v1/images/generations`` (JSON: ``model``, ``prompt``, ``n``, ``size`` …)
  → ``{"data": [{"b64_json"} | {"url"}]}`` (GPT image models always answer
  base64; DALL·E answers URLs unless ``response_format`` is ``b64_json``);
- ``POST /v1/images/edits`` (multipart: ``image`` — ``image[]`` for several —
  and ``mask`` files plus the other fields) → the same shape;
- ``POST /v1/chat/completions`` (``messages`` built from the node's system
  parameter and prompt) → ``choices[0].message.content`` (``refusal`` and
  ``finish_reason: content_filter`` are refusals);
- ``POST /v1/audio/speech`` (``model``, ``input``, ``voice``, ``response_format``)
  → the audio file itself; ``pcm`` (24 kHz 16-bit mono) is wrapped as WAV.

The endpoint is ``provider_options["endpoint"]`` (default: by the node's output
type); a leading ``/v1`` is not doubled when the base URL already ends in
``/v1``, so both ``https://api.openai.com/v1`` and ``http://localhost:11434``
work. ``PATCHBAY_OPENAI_BASE_URL`` points every OpenAI node at another server,
such as Ollama (``http://localhost:11434/v1``,
https://github.com/ollama/ollama/blob/main/docs/openai.md) or LM Studio
(``http://localhost:1234/v1``, https://lmstudio.ai/docs/app/api/endpoints/openai).
Per-node servers and keys are chosen as :mod:`engine.providers.common` describes
(``base_url``, ``base_url_param``, ``credential``, ``credential_param``,
``self_hosted``, ``key_required``, ``label``); ``model_param`` names a parameter holding
the model name (local servers), ``chat`` maps ``{"system", "user", "images"}`` to
parameter/port names, ``multipart: true`` sends the request as a form.

Errors (https://platform.openai.com/docs/guides/error-codes,
https://platform.openai.com/docs/guides/rate-limits): ``{"error": {"message",
"type", "code", "param"}}``. ``content_policy_violation`` / ``moderation_blocked``
are permanent refusals; a 429 with ``insufficient_quota`` is a billing problem
(permanent); other 429s are transient, waiting ``Retry-After`` (or
``retry-after-ms``, or the ``x-ratelimit-reset-*`` header of the exhausted limit).
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from engine.catalog.spec import NodeSpec, PortSpec, PortType
from engine.errors import NodeError, PermanentNodeError, TransientNodeError
from engine.providers.base import ProviderCall
from engine.providers.common import (
    ServerProvider,
    consumed,
    decode_base64,
    origin,
    parse_duration,
    pcm_to_wav,
    usable_params,
)
from engine.providers.http import describe_body, error_for_status, read_json
from engine.values import Artifact, Batch

__all__ = ["OpenAIProvider"]

_MODERATION_CODES = frozenset({"content_policy_violation", "moderation_blocked", "content_filter"})
_SPEECH_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/wav",
}
_INTERNAL_OPTIONS = ("model_param", "base_url_param", "credential_param")


@dataclass(frozen=True, slots=True)
class _Upload:
    """A media input sent as a multipart file."""

    filename: str
    data: bytes
    media_type: str


class OpenAIProvider(ServerProvider):
    """Runs OpenAI models, or models on an OpenAI-compatible server (module docstring)."""

    name = "openai"
    label = "OpenAI"
    credential = "OPENAI_API_KEY"
    default_base_url = "https://api.openai.com/v1"
    default_output_paths: ClassVar[Mapping[PortType, tuple[str, ...]]] = {
        PortType.IMAGE: ("data[0].b64_json", "data[0].url"),
        PortType.MASK: ("data[0].b64_json", "data[0].url"),
        PortType.TEXT: ("choices[0].message.content", "choices[0].text", "output_text"),
        PortType.JSON: ("",),
    }

    _multipart = False

    @property
    def display(self) -> str:
        if self.entry_label:
            return self.entry_label
        if origin(self.base_url) == origin(self.default_base_url):
            return "OpenAI"
        return f"the OpenAI-compatible server at {urlsplit(self.base_url).netloc}"

    def endpoint(self, path: str) -> str:
        """``path`` under the base URL, without doubling a ``/v1`` both carry."""
        path = "/" + path.lstrip("/")
        if urlsplit(self.base_url).path.rstrip("/").endswith("/v1") and path.startswith("/v1/"):
            path = path[3:]
        return self.url(path)

    # -- the run ------------------------------------------------------------------------

    async def run(self, call: ProviderCall) -> dict[str, Any]:
        await self.prepare(call)
        spec = call.spec
        options = spec.provider_options
        path = _endpoint_path(spec)
        params = usable_params(call.params)
        internal = [n for n in (options.get(k) for k in _INTERNAL_OPTIONS) if isinstance(n, str)]
        progress = self.progress(call)
        progress(0.0, f"waiting for {self.display}")
        if path.endswith("/chat/completions"):
            body = await self._chat_body(call, params, internal)
        else:
            self._multipart = bool(options.get("multipart")) or path.endswith("/images/edits")
            mapped = ProviderCall(consumed(spec, internal), params, call.inputs, call.ctx)
            body = await self.arguments(mapped)
        if "model" not in body:
            body["model"] = self._model(spec, params)
        url = self.endpoint(path)
        if self._multipart:
            fields, files = _form(body)
            response = await self.request("POST", url, data=fields, files=files)
        else:
            response = await self.request("POST", url, json=body)
        binary = options.get("response") == "binary" or path.endswith("/audio/speech")
        if binary:
            outputs = await self._binary_outputs(call, response, body)
        else:
            result = self.json_body(response)
            self._check_result(result)
            outputs = await self.outputs(call, result)
        progress(1.0)
        return outputs

    def _model(self, spec: NodeSpec, params: Mapping[str, Any]) -> str:
        param_name = spec.provider_options.get("model_param")
        chosen = params.get(param_name) if isinstance(param_name, str) else None
        model = chosen if isinstance(chosen, str) and chosen.strip() else spec.model_id
        if not model:
            raise PermanentNodeError(
                f"node type {spec.type} names no model: set its model parameter",
                details={"provider": self.name, "code": "bad_model_id"},
            )
        return model.strip()

    async def _chat_body(
        self, call: ProviderCall, params: Mapping[str, Any], internal: list[str]
    ) -> dict[str, Any]:
        chat = call.spec.provider_options.get("chat") or {}
        system_name = str(chat.get("system", "system"))
        user_name = str(chat.get("user", "prompt"))
        images_name = chat.get("images")
        names = [system_name, user_name, *internal]
        if isinstance(images_name, str):
            names.append(images_name)
        spec = consumed(call.spec, names)
        body = await self.arguments(ProviderCall(spec, params, call.inputs, call.ctx))
        system = _value(call, params, system_name)
        user = _value(call, params, user_name)
        if not isinstance(user, str) or not user.strip():
            raise PermanentNodeError(
                f"no prompt: type one or wire text into {user_name!r}",
                details={"code": "invalid_input", "port": user_name},
            )
        content: str | list[dict[str, Any]] = user
        images = _value(call, params, images_name) if isinstance(images_name, str) else None
        if images is not None:
            port = call.spec.input(str(images_name)) or PortSpec(
                name=str(images_name), type=PortType.IMAGE
            )
            items = list(images.items) if isinstance(images, Batch) else [images]
            parts: list[dict[str, Any]] = [{"type": "text", "text": user}]
            for item in items:
                uri = await self.encode_input(call, port, item)
                parts.append({"type": "image_url", "image_url": {"url": uri}})
            content = parts
        messages: list[dict[str, Any]] = []
        if isinstance(system, str) and system.strip():
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": content})
        body["messages"] = messages
        return body

    async def encode_input(self, call: ProviderCall, port: PortSpec, value: Any) -> Any:
        if not self._multipart:
            return await super().encode_input(call, port, value)
        if isinstance(value, list | tuple):
            return [await self.encode_input(call, port, item) for item in value]
        if not isinstance(value, Artifact):
            raise PermanentNodeError(
                f"input {port.name!r} expects an image file, got {type(value).__name__}",
                details={"code": "invalid_input", "port": port.name},
            )
        data = await asyncio.to_thread(call.ctx.artifacts.read_bytes, value)
        extension = mimetypes.guess_extension(value.media_type) or ".png"
        return _Upload(value.filename or f"{port.name}{extension}", data, value.media_type)

    # -- results ------------------------------------------------------------------------

    def _check_result(self, result: Any) -> None:
        if not isinstance(result, Mapping):
            return
        choices = result.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
            choice = choices[0]
            message = choice.get("message") if isinstance(choice.get("message"), Mapping) else {}
            refusal = message.get("refusal") if isinstance(message, Mapping) else None
            if isinstance(refusal, str) and refusal.strip():
                raise PermanentNodeError(
                    f"{self.display} refused: {self.redact(refusal)[:300]}",
                    details={"provider": self.name, "code": "moderation"},
                )
            if choice.get("finish_reason") == "content_filter":
                raise PermanentNodeError(
                    f"{self.display} withheld the reply (content filter)",
                    details={"provider": self.name, "code": "moderation"},
                )
        if "data" in result and result.get("data") == []:
            raise PermanentNodeError(
                f"{self.display} returned no images",
                details={"provider": self.name, "code": "malformed_response"},
            )

    async def store_output(self, call: ProviderCall, port: PortSpec, value: Any) -> Artifact:
        if isinstance(value, str) and not value.startswith(("http://", "https://", "data:")):
            data = decode_base64(value, limit=self.max_download, what=port.type.value)
            return await self.store_bytes(call, port, data, media_type=None)
        return await super().store_output(call, port, value)

    async def _binary_outputs(
        self, call: ProviderCall, response: httpx.Response, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        port = next((p for p in call.spec.outputs if p.type.is_media), None)
        if port is None:
            raise PermanentNodeError(f"node type {call.spec.type} has no media output")
        response_format = str(body.get("response_format") or "mp3")
        data = response.content
        if len(data) > self.max_download:
            raise PermanentNodeError(
                f"the output from {self.display} is larger than {self.max_download} bytes",
                details={"provider": self.name, "code": "too_large"},
            )
        declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if response_format == "pcm":
            data, declared = pcm_to_wav(data, rate=24000), "audio/wav"
        media_type = declared if declared.startswith("audio/") else None
        media_type = media_type or _SPEECH_TYPES.get(response_format)
        if not media_type:
            media_type = declared or None
        extension = "wav" if response_format == "pcm" else response_format
        artifact = await self.store_bytes(
            call, port, data, media_type=media_type, filename=f"{port.name}.{extension}"
        )
        return {port.name: artifact}

    # -- errors -------------------------------------------------------------------------

    def error_for_response(
        self, response: httpx.Response, details: Mapping[str, object] | None = None
    ) -> NodeError:
        body = read_json(response)
        error = body.get("error") if isinstance(body, Mapping) else None
        info: Mapping[str, Any] = error if isinstance(error, Mapping) else {}
        code, kind = str(info.get("code") or ""), str(info.get("type") or "")
        extra: dict[str, object] = {**(details or {}), "provider": self.name}
        if code:
            extra["errorCode"] = code
        base = error_for_status(
            response,
            provider=self.display,
            redact=self.redact,
            credential=self.reference,
            details=extra,
        )
        status = response.status_code
        said = self.redact(describe_body(body, response.reason_phrase or ""))[:300]
        if code in _MODERATION_CODES:
            return PermanentNodeError(
                f"{self.display} refused the request (content policy): {said}",
                details={**base.details, "code": "moderation"},
            )
        if "insufficient_quota" in (code, kind):
            return PermanentNodeError(
                f"{self.display} refused the request: the account's quota or credit is used "
                f"up (HTTP {status}): {said}",
                details={**base.details, "code": "billing"},
            )
        if isinstance(base, TransientNodeError) and status == 429 and base.retry_after is None:
            return TransientNodeError(
                base.message, retry_after=_rate_limit_wait(response.headers), details=base.details
            )
        if status in (401, 403) and (hint := self.withheld_key_hint()):
            return PermanentNodeError(base.message + hint, details=base.details)
        return base


def _endpoint_path(spec: NodeSpec) -> str:
    configured = spec.provider_options.get("endpoint")
    if isinstance(configured, str) and configured.strip():
        return "/" + configured.strip().lstrip("/")
    kinds = {port.type for port in spec.outputs}
    if PortType.AUDIO in kinds:
        return "/v1/audio/speech"
    if PortType.IMAGE in kinds or PortType.MASK in kinds:
        if any(port.type in (PortType.IMAGE, PortType.MASK) for port in spec.inputs):
            return "/v1/images/edits"
        return "/v1/images/generations"
    return "/v1/chat/completions"


def _value(call: ProviderCall, params: Mapping[str, Any], name: str | None) -> Any:
    if not name:
        return None
    value = call.inputs.get(name)
    return params.get(name) if value is None or value == "" else value


def _form(body: Mapping[str, Any]) -> tuple[dict[str, str], list[tuple[str, Any]]]:
    """A request body as multipart form fields and files."""
    fields: dict[str, str] = {}
    files: list[tuple[str, Any]] = []
    for key, value in body.items():
        uploads = value if isinstance(value, list) else [value]
        if uploads and all(isinstance(item, _Upload) for item in uploads):
            name = key if len(uploads) == 1 else f"{key}[]"
            files.extend((name, (u.filename, u.data, u.media_type)) for u in uploads)
        elif isinstance(value, bool):
            fields[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            fields[key] = str(value)
        else:
            fields[key] = json.dumps(value)
    return fields, files


def _rate_limit_wait(headers: httpx.Headers) -> float | None:
    """Seconds until the exhausted OpenAI rate limit resets, from its headers."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(float(milliseconds) / 1000.0, 0.0)
        except ValueError:
            pass
    waits = []
    for limit in ("requests", "tokens"):
        reset = parse_duration(headers.get(f"x-ratelimit-reset-{limit}"))
        if reset is not None and headers.get(f"x-ratelimit-remaining-{limit}", "0") == "0":
            waits.append(reset)
    return max(waits) if waits else None
