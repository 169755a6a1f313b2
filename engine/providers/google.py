"""Google adapter: the Gemini API — Imagen, Gemini image/speech/text output, Veo.

Protocol (https://ai.google.dev/gemini-api/docs/imagen,
https://ai.google.dev/gemini-api/docs/image-generation,
https://ai.google.dev/gemini-api/docs/speech-generation,
https://ai.google.dev/gemini-api/docs/video,
https://ai.google.dev/api/generate-content), base
``https://generativelanguage.googleapis.com``, header
``x-goog-api-key: <GEMINI_API_KEY>`` — never the ``?key=`` query parameter,
because request URLs end up in logs:

- ``POST /v1beta/models/{model}:predict`` (Imagen) with ``{"instances":
  [{"prompt"}], "parameters": {"sampleCount", "aspectRatio", …}}`` →
  ``{"predictions": [{"bytesBase64Encoded", "mimeType"}]}``; images the safety
  filters drop are simply missing (``raiFilteredReason`` when asked for);
- ``POST /v1beta/models/{model}:generateContent`` with ``{"contents": [{"parts":
  [{"text"} | {"inlineData": {"mimeType", "data"}}]}], "generationConfig",
  "systemInstruction"}`` → ``candidates[0].content.parts`` (text and
  ``inlineData``; speech comes as raw 16-bit PCM, ``audio/L16;rate=24000``,
  wrapped here as WAV); a blocked prompt has ``promptFeedback.blockReason``, a
  blocked answer ``finishReason`` ``SAFETY`` / ``PROHIBITED_CONTENT`` / ``IMAGE_SAFETY`` …;
- ``POST /v1beta/models/{model}:predictLongRunning`` (Veo) → an operation
  ``{"name": "models/…/operations/…"}``; ``GET /v1beta/{name}`` until ``done``;
  the result is ``response.generateVideoResponse.generatedSamples[0].video.uri``,
  downloaded with the key header (it is on the API's own origin), or
  ``raiMediaFilteredReasons`` when the safety filters withheld the video;
  cancelling a run sends ``POST /v1beta/{name}:cancel`` (the google.longrunning
  Operations convention, https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.operations/cancel;
  best effort — an error there is logged and the run still ends cancelled).

Request mapping: ``provider_options["endpoint"]`` (``{model}`` is filled in;
default by model id: ``imagen*`` → ``:predict``, ``veo*`` → ``:predictLongRunning``,
else ``:generateContent``). For ``predict``/``predictLongRunning`` fields under
``instance.`` go into ``instances[0]``; unmapped ports default to
``instance.<camelCase>``, unmapped params to ``parameters.<camelCase>``; media
inputs are sent as ``{"bytesBase64Encoded", "mimeType"}``. For
``generateContent`` the ports listed in ``parts`` (default: every input port)
become the user turn, ``system_param`` (default ``system``) the system
instruction, unmapped params ``generationConfig.<camelCase>``. Without
``output_paths`` an image/audio/video/text port takes the first image part,
audio part, video sample or the joined text parts; a JSON port the whole response.

Errors (https://ai.google.dev/gemini-api/docs/troubleshooting):
``{"error": {"code", "message", "status", "details"}}``; 400 with ``ErrorInfo``
reason ``API_KEY_INVALID`` is a bad key; 429 ``RESOURCE_EXHAUSTED`` is transient
and waits the ``RetryInfo.retryDelay``; 500/503/504 are transient; other 4xx
(``INVALID_ARGUMENT``, ``FAILED_PRECONDITION``) are permanent.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx

from engine.catalog.spec import NodeSpec, PortSpec, PortType
from engine.errors import NodeError, PermanentNodeError, TransientNodeError
from engine.providers.base import Progress, Provider, ProviderCall
from engine.providers.common import (
    consumed,
    decode_base64,
    parse_duration,
    pcm_to_wav,
    usable_params,
)
from engine.providers.http import describe_body, looks_like_moderation, read_json
from engine.providers.media import decode_data_uri
from engine.values import Artifact, Batch

__all__ = ["GoogleProvider"]

_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_OPERATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_BLOCKED_FINISH = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)
#: google.rpc codes worth retrying: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED,
#: INTERNAL, UNAVAILABLE.
_TRANSIENT_RPC = frozenset({4, 8, 10, 13, 14})
_PCM_RATE = re.compile(r"rate=(\d+)")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class GoogleProvider(Provider):
    """Imagen, Gemini and Veo through the Gemini API (see the module docstring)."""

    name = "google"
    label = "Google Gemini API"
    credential = "GEMINI_API_KEY"
    default_base_url = "https://generativelanguage.googleapis.com"
    #: The Gemini API accepts inline request data up to 20 MB in total.
    inline_input_limit = 20 * 1024 * 1024
    default_output_paths: ClassVar[Mapping[PortType, tuple[str, ...]]] = {
        PortType.IMAGE: ("@image",),
        PortType.MASK: ("@image",),
        PortType.AUDIO: ("@audio",),
        PortType.VIDEO: ("@video",),
        PortType.TEXT: ("@text",),
        PortType.JSON: ("@json",),
    }

    def auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.api_key} if self.api_key else {}

    async def run(self, call: ProviderCall) -> dict[str, Any]:
        spec = call.spec
        model = (spec.model_id or "").strip()
        if not _MODEL.match(model):
            raise PermanentNodeError(
                f"node type {spec.type}: {model!r} is not a Gemini API model id "
                "like 'imagen-4.0-generate-001'",
                details={"provider": self.name, "code": "bad_model_id"},
            )
        path = _endpoint(spec).replace("{model}", model)
        method = path.rsplit(":", 1)[-1]
        params = usable_params(call.params)
        progress = self.progress(call)
        progress(0.0, f"waiting for Google ({model})")
        if method == "generateContent":
            body = await self._content_body(call, params)
        else:
            body = await self._instances_body(call, params)
        if method == "predictLongRunning":
            result = await self._long_running(path, body, progress)
        else:
            result = await self.request_json("POST", path, json=body)
        document = self._checked(method, result)
        try:
            outputs = await self.outputs(call, document)
        except PermanentNodeError as exc:
            raise self._explain_missing(exc, document) from None
        progress(1.0)
        return outputs

    # -- requests -----------------------------------------------------------------------

    async def _instances_body(
        self, call: ProviderCall, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        spec = call.spec
        options = dict(spec.provider_options)
        input_fields = dict(options.get("input_fields") or {})
        param_fields = dict(options.get("param_fields") or {})
        for port in spec.inputs:
            input_fields.setdefault(port.name, f"instance.{_camel(port.name)}")
        for param in spec.params:
            default = "instance.prompt" if param.name == "prompt" else None
            param_fields.setdefault(param.name, default or f"parameters.{_camel(param.name)}")
        options.update(input_fields=input_fields, param_fields=param_fields)
        mapped = spec.model_copy(update={"provider_options": options})
        arguments = await self.arguments(ProviderCall(mapped, params, call.inputs, call.ctx))
        instance = arguments.pop("instance", {})
        return {"instances": [instance], **arguments}

    async def _content_body(self, call: ProviderCall, params: Mapping[str, Any]) -> dict[str, Any]:
        spec = call.spec
        options = spec.provider_options
        names = options.get("parts")
        part_names = [str(n) for n in names] if isinstance(names, list) else None
        part_names = part_names or [port.name for port in spec.inputs]
        system_name = options.get("system_param")
        if not isinstance(system_name, str):
            system_name = "system" if spec.param("system") is not None else ""
        mapped = consumed(spec, [*part_names, system_name] if system_name else part_names)
        param_fields = dict(mapped.provider_options.get("param_fields") or {})
        for param in spec.params:
            param_fields.setdefault(param.name, f"generationConfig.{_camel(param.name)}")
        mapped = mapped.model_copy(
            update={"provider_options": {**mapped.provider_options, "param_fields": param_fields}}
        )
        arguments = await self.arguments(ProviderCall(mapped, params, call.inputs, call.ctx))
        parts: list[dict[str, Any]] = []
        for name in part_names:
            value = call.inputs.get(name)
            if value is None or value == "":
                value = params.get(name)
            parts.extend(await self._parts(call, spec, name, value))
        if not parts:
            raise PermanentNodeError(
                "nothing to send: type a prompt or wire one into the node",
                details={"code": "invalid_input", "provider": self.name},
            )
        body: dict[str, Any] = {"contents": [{"role": "user", "parts": parts}], **arguments}
        system = params.get(system_name) if system_name else None
        if isinstance(system, str) and system.strip():
            body["systemInstruction"] = {"parts": [{"text": system}]}
        return body

    async def _parts(
        self, call: ProviderCall, spec: NodeSpec, name: str, value: Any
    ) -> list[dict[str, Any]]:
        if value is None:
            return []
        items: Sequence[Any] = (
            value.items
            if isinstance(value, Batch)
            else value
            if isinstance(value, list)
            else [value]
        )
        port = spec.input(name) or PortSpec(name=name, type=PortType.TEXT)
        parts: list[dict[str, Any]] = []
        for item in items:
            if isinstance(item, Artifact) or (port.type.is_media and isinstance(item, str)):
                inline = await self.encode_input(call, port, item)
                parts.append(
                    {
                        "inlineData": {
                            "mimeType": inline["mimeType"],
                            "data": inline["bytesBase64Encoded"],
                        }
                    }
                )
            elif isinstance(item, str):
                if item.strip():
                    parts.append({"text": item})
            else:
                parts.append({"text": str(item)})
        return parts

    async def encode_input(self, call: ProviderCall, port: PortSpec, value: Any) -> Any:
        """A media input as ``{"bytesBase64Encoded", "mimeType"}`` (the Gemini API's form)."""
        if isinstance(value, list | tuple):
            return [await self.encode_input(call, port, item) for item in value]
        if isinstance(value, str) and value.startswith("data:"):
            data, media_type = decode_data_uri(value, limit=self.inline_input_limit)
            return {
                "bytesBase64Encoded": base64.b64encode(data).decode("ascii"),
                "mimeType": media_type or "image/png",
            }
        if not isinstance(value, Artifact):
            raise PermanentNodeError(
                f"input {port.name!r}: the Gemini API needs the file itself, got "
                f"{type(value).__name__ if not isinstance(value, str) else 'a URL'}",
                details={"code": "invalid_input", "port": port.name},
            )
        if value.size > self.inline_input_limit:
            raise PermanentNodeError(
                f"input {port.name!r} is {value.size} bytes; the Gemini API takes inline files "
                f"up to {self.inline_input_limit} bytes",
                details={"code": "input_too_large", "provider": self.name},
            )
        data = await asyncio.to_thread(call.ctx.artifacts.read_bytes, value)
        return {
            "bytesBase64Encoded": base64.b64encode(data).decode("ascii"),
            "mimeType": value.media_type,
        }

    async def _long_running(
        self, path: str, body: Mapping[str, Any], progress: Progress
    ) -> dict[str, Any]:
        started = await self.request_json("POST", path, json=body)
        name = self.field(started, "name", str, "operation")
        if not _OPERATION.match(name) or ".." in name:
            raise PermanentNodeError(
                "Google returned an operation name that is not a resource path",
                details={"provider": self.name, "code": "malformed_response"},
            )
        version = path.strip("/").split("/")[0]
        operation = f"/{version}/{name}"
        details = {"operation": name}
        progress(0.0, "generating on Google")

        async def fetch() -> dict[str, Any]:
            state = await self.request_json("GET", operation, details=details)
            if not isinstance(state, Mapping):
                raise PermanentNodeError(
                    "Google sent a malformed operation",
                    details={"provider": self.name, "code": "malformed_response"},
                )
            metadata = state.get("metadata")
            percent = metadata.get("progressPercent") if isinstance(metadata, Mapping) else None
            fraction = percent / 100 if isinstance(percent, int | float) else None
            progress(fraction, "generating on Google")
            return dict(state)

        async def finish() -> dict[str, Any]:
            if started.get("done") is True:
                return dict(started)
            return await self.poll(fetch, lambda state: state.get("done") is True)

        async def cancel() -> None:
            await self.request("POST", f"{operation}:cancel", details=details)

        final = await self.cancel_on_abort(finish(), cancel, job=name)
        error = final.get("error")
        if isinstance(error, Mapping):
            raise self._operation_error(error, details)
        return final

    # -- results ------------------------------------------------------------------------

    def _checked(self, method: str, result: Any) -> dict[str, Any]:
        """``result`` with refusals raised and the ``@image``/``@text``… shortcuts added."""
        if not isinstance(result, Mapping):
            raise PermanentNodeError(
                "Google sent a malformed response: expected an object, "
                f"got {type(result).__name__}",
                details={"provider": self.name, "code": "malformed_response"},
            )
        document = {**result, "@json": dict(result)}
        if method == "predict":
            self._check_predictions(document)
        elif method == "predictLongRunning":
            self._check_videos(document)
        else:
            self._check_candidates(document)
        return document

    def _check_predictions(self, document: dict[str, Any]) -> None:
        predictions = document.get("predictions")
        items = predictions if isinstance(predictions, list) else []
        usable = [p for p in items if isinstance(p, Mapping) and p.get("bytesBase64Encoded")]
        if not usable:
            reasons = [
                str(p["raiFilteredReason"])
                for p in items
                if isinstance(p, Mapping) and p.get("raiFilteredReason")
            ]
            said = self.redact("; ".join(reasons))[:300]
            raise PermanentNodeError(
                "Google's safety filters withheld every image"
                + (f": {said}" if said else " (Imagen returned none); change the prompt"),
                details={"provider": self.name, "code": "moderation"},
            )
        document["predictions"] = usable
        document["@image"] = usable[0]

    def _check_videos(self, document: dict[str, Any]) -> None:
        response = document.get("response")
        response = response if isinstance(response, Mapping) else {}
        inner = response.get("generateVideoResponse")
        videos = inner if isinstance(inner, Mapping) else response
        samples = videos.get("generatedSamples") or videos.get("generatedVideos")
        if isinstance(samples, list) and samples and isinstance(samples[0], Mapping):
            document["@video"] = samples[0].get("video") or samples[0]
            return
        reasons = videos.get("raiMediaFilteredReasons")
        if videos.get("raiMediaFilteredCount") or reasons:
            said = "; ".join(map(str, reasons)) if isinstance(reasons, list) else ""
            raise PermanentNodeError(
                f"Google's safety filters withheld the video: {self.redact(said)[:300]}".rstrip(
                    ": "
                ),
                details={"provider": self.name, "code": "moderation"},
            )
        raise PermanentNodeError(
            "Google finished the operation but sent no video",
            details={"provider": self.name, "code": "malformed_response"},
        )

    def _check_candidates(self, document: dict[str, Any]) -> None:
        feedback = document.get("promptFeedback")
        block = feedback.get("blockReason") if isinstance(feedback, Mapping) else None
        if block:
            extra = feedback.get("blockReasonMessage") if isinstance(feedback, Mapping) else None
            said = f": {self.redact(str(extra))[:300]}" if extra else ""
            raise PermanentNodeError(
                f"Gemini blocked the prompt ({block}){said}",
                details={"provider": self.name, "code": "moderation", "reason": str(block)},
            )
        candidates = document.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            raise PermanentNodeError(
                "Gemini returned no answer",
                details={"provider": self.name, "code": "malformed_response"},
            )
        candidate = candidates[0] if isinstance(candidates[0], Mapping) else {}
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, Mapping) else None
        parts = [p for p in parts if isinstance(p, Mapping)] if isinstance(parts, list) else []
        finish = candidate.get("finishReason")
        if finish in _BLOCKED_FINISH and not parts:
            message = candidate.get("finishMessage")
            said = f": {self.redact(str(message))[:300]}" if message else ""
            raise PermanentNodeError(
                f"Gemini stopped the answer ({finish}){said}",
                details={"provider": self.name, "code": "moderation", "reason": str(finish)},
            )
        texts = [str(p["text"]) for p in parts if "text" in p and not p.get("thought")]
        if texts:
            document["@text"] = "".join(texts)
        for part in parts:
            inline = part.get("inlineData") or part.get("inline_data")
            if not isinstance(inline, Mapping):
                continue
            kind = str(inline.get("mimeType") or inline.get("mime_type") or "")
            key = (
                "@image"
                if kind.startswith("image/")
                else "@audio"
                if kind.startswith("audio/")
                else None
            )
            if key and key not in document:
                document[key] = inline
        document["@finish"] = finish

    def _explain_missing(
        self, exc: PermanentNodeError, document: Mapping[str, Any]
    ) -> PermanentNodeError:
        if exc.details.get("code") != "malformed_response" or "port" not in exc.details:
            return exc
        finish = document.get("@finish")
        if finish in _BLOCKED_FINISH:
            return PermanentNodeError(
                f"Gemini withheld the {exc.details['port']} ({finish})",
                details={"provider": self.name, "code": "moderation", "reason": str(finish)},
            )
        text = document.get("@text")
        if isinstance(text, str) and text.strip():
            port = str(exc.details["port"])
            article = "an" if port[:1] in "aeiou" else "a"
            return PermanentNodeError(
                f"Gemini answered without {article} {port}; it said: "
                f"{self.redact(text.strip())[:300]}",
                details={"provider": self.name, "code": "no_output", "port": exc.details["port"]},
            )
        return exc

    async def store_output(self, call: ProviderCall, port: PortSpec, value: Any) -> Artifact:
        if isinstance(value, Mapping):
            inline = value.get("data") or value.get("bytesBase64Encoded")
            if isinstance(inline, str):
                kind = value.get("mimeType") or value.get("mime_type")
                return await self._store_inline(
                    call, port, inline, kind if isinstance(kind, str) else None
                )
        if isinstance(value, str) and not value.startswith(("http://", "https://", "data:")):
            return await self._store_inline(call, port, value, None)
        return await super().store_output(call, port, value)

    async def _store_inline(
        self, call: ProviderCall, port: PortSpec, text: str, media_type: str | None
    ) -> Artifact:
        data = decode_base64(text, limit=self.max_download, what=port.type.value)
        kind = (media_type or "").lower()
        if kind.startswith("audio/l16") or "codec=pcm" in kind:
            match = _PCM_RATE.search(kind)
            data = pcm_to_wav(data, rate=int(match.group(1)) if match else 24000)
            media_type = "audio/wav"
        return await self.store_bytes(call, port, data, media_type=media_type)

    # -- errors -------------------------------------------------------------------------

    def _operation_error(self, error: Mapping[str, Any], details: Mapping[str, str]) -> NodeError:
        code = error.get("code")
        said = self.redact(describe_body(error, "the operation failed"))[:400]
        extra: dict[str, object] = {"provider": self.name, **details, "rpcCode": code}
        if code == 1:
            return PermanentNodeError(
                f"Google cancelled the operation: {said}", details={**extra, "code": "cancelled"}
            )
        if code in _TRANSIENT_RPC:
            return TransientNodeError(f"Google: {said}", details={**extra, "code": "unavailable"})
        kind = "moderation" if looks_like_moderation(said) else "failed"
        return PermanentNodeError(f"Google: {said}", details={**extra, "code": kind})

    def error_for_response(
        self, response: httpx.Response, details: Mapping[str, object] | None = None
    ) -> NodeError:
        body = read_json(response)
        error = body.get("error") if isinstance(body, Mapping) else None
        info: Mapping[str, Any] = error if isinstance(error, Mapping) else {}
        extra: dict[str, object] = dict(details or {})
        if isinstance(info.get("status"), str):
            extra["googleStatus"] = info["status"]
        base = super().error_for_response(response, extra)
        entries = info.get("details")
        entries = (
            [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list) else []
        )
        reasons = {str(e.get("reason")) for e in entries if e.get("reason")}
        if "API_KEY_INVALID" in reasons and base.details.get("code") != "auth":
            said = self.redact(describe_body(body, ""))[:300]
            return PermanentNodeError(
                f"Google rejected the API key ({self.credential}) "
                f"(HTTP {response.status_code}): {said}",
                details={**base.details, "code": "auth"},
            )
        if isinstance(base, TransientNodeError) and base.retry_after is None:
            delays = [parse_duration(e.get("retryDelay")) for e in entries]
            delay = next((d for d in delays if d is not None), None)
            if delay is not None:
                return TransientNodeError(base.message, retry_after=delay, details=base.details)
        return base


def _endpoint(spec: NodeSpec) -> str:
    configured = spec.provider_options.get("endpoint")
    if isinstance(configured, str) and configured.strip():
        return "/" + configured.strip().lstrip("/")
    model = (spec.model_id or "").lower()
    if model.startswith("imagen"):
        return "/v1beta/models/{model}:predict"
    if model.startswith("veo"):
        return "/v1beta/models/{model}:predictLongRunning"
    return "/v1beta/models/{model}:generateContent"
