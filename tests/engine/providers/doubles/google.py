"""A protocol double of the Gemini API (https://ai.google.dev/api).

Endpoints under ``/v1beta``: ``models/{model}:predict`` (Imagen),
``models/{model}:generateContent`` (text, image and speech output),
``models/{model}:predictLongRunning`` (Veo) with ``GET {operation}`` and
``POST {operation}:cancel``, and ``GET files/{id}:download`` for generated
videos (which needs the key too). Auth: ``x-goog-api-key``; a wrong key is a
400 ``INVALID_ARGUMENT`` with ``ErrorInfo`` reason ``API_KEY_INVALID``, as
Google sends it.

Behaviour by prompt: ``slow`` holds a synchronous call until the client hangs
up (recorded in :attr:`aborted`) and keeps an operation running until
cancelled; ``forbidden`` is blocked by the safety filters (Imagen: no
predictions; Gemini: ``promptFeedback.blockReason``; Veo:
``raiMediaFilteredReasons``); ``fails`` ends an operation with an error;
``only text`` makes an image model answer with words only.
"""

from __future__ import annotations

import base64
import io
import re
import uuid
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tests.engine.providers.doubles.media import mp4_stub, png
from tests.engine.providers.doubles.server import DoubleServer, Recorded, Reply

_RATIOS = {"1:1": (64, 64), "16:9": (64, 36), "9:16": (36, 64), "4:3": (64, 48), "3:4": (48, 64)}
RAI_REASON = (
    "Veo could not generate videos because the input prompt violates Google's Responsible "
    "AI practices. Support codes: 58061214"
)
_MODEL = r"(?P<model>[^/:]+)"
_OPERATION = r"(?P<name>models/[^/:]+/operations/[^/:]+)"


def google_error(code: int, status: str, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "details": list(details)}}


@dataclass
class Operation:
    model: str
    prompt: str
    polls: int = 0
    cancelled: bool = False


class GoogleDouble(DoubleServer):
    """The Gemini API on 127.0.0.1 (see the module docstring)."""

    def __init__(self, key: str, steps: int = 3) -> None:
        super().__init__()
        self.key = key
        self.steps = steps
        self.aborted: list[str] = []
        self.operations: dict[str, Operation] = {}
        self.videos: dict[str, bytes] = {}
        self.route("POST", rf"/v1beta/models/{_MODEL}:predict", self._predict, name="predict")
        self.route(
            "POST", rf"/v1beta/models/{_MODEL}:generateContent", self._generate, name="generate"
        )
        self.route("POST", rf"/v1beta/models/{_MODEL}:predictLongRunning", self._long, name="long")
        self.route("GET", rf"/v1beta/{_OPERATION}", self._operation, name="operation")
        self.route("POST", rf"/v1beta/{_OPERATION}:cancel", self._cancel, name="cancel")
        self.route(
            "GET", r"/v1beta/files/(?P<file>[^/:]+):download", self._file_download, name="download"
        )

    def _denied(self, request: Recorded) -> Reply | None:
        given = request.headers.get("x-goog-api-key")
        if given == self.key:
            return None
        if given is None:
            message = "Method doesn't allow unregistered callers. Please use API Key."
            return Reply(403, google_error(403, "PERMISSION_DENIED", message))
        info = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
        }
        message = "API key not valid. Please pass a valid API key."
        return Reply(400, google_error(400, "INVALID_ARGUMENT", message, info))

    def _hold(self, request: Recorded) -> Reply:
        if self.wait_for_disconnect(10.0):
            with self.lock:
                self.aborted.append(request.path)
        return Reply(504, google_error(504, "DEADLINE_EXCEEDED", "held too long"))

    # -- Imagen ----------------------------------------------------------------------

    def _predict(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        body = request.json or {}
        instances = body.get("instances") or [{}]
        prompt = instances[0].get("prompt")
        if not isinstance(prompt, str):
            return Reply(
                400, google_error(400, "INVALID_ARGUMENT", "* instances[0].prompt: required")
            )
        if "slow" in prompt:
            return self._hold(request)
        if "forbidden" in prompt:
            return Reply(200, {})
        parameters = body.get("parameters") or {}
        width, height = _RATIOS.get(str(parameters.get("aspectRatio", "1:1")), (64, 64))
        count = int(parameters.get("sampleCount", 4))
        predictions = [
            {"mimeType": "image/png", "bytesBase64Encoded": _b64(png(width, height))}
            for _ in range(count)
        ]
        return Reply(200, {"predictions": predictions})

    # -- Gemini --------------------------------------------------------------------------

    def _generate(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        body = request.json or {}
        parts = (body.get("contents") or [{}])[0].get("parts") or []
        text = " ".join(p["text"] for p in parts if "text" in p)
        images = [p["inlineData"] for p in parts if "inlineData" in p]
        if "slow" in text:
            return self._hold(request)
        if "forbidden" in text:
            return Reply(200, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})
        config = body.get("generationConfig") or {}
        modalities = config.get("responseModalities") or ["TEXT"]
        out: list[dict[str, Any]] = []
        if "AUDIO" in modalities:
            pcm = b"\x00\x01" * 2400
            out.append(
                {"inlineData": {"mimeType": "audio/L16;codec=pcm;rate=24000", "data": _b64(pcm)}}
            )
        elif "IMAGE" in modalities:
            out.append({"text": "Here is your picture."})
            if "only text" not in text:
                size = _RATIOS.get(str((config.get("imageConfig") or {}).get("aspectRatio")))
                if images:
                    with Image.open(io.BytesIO(base64.b64decode(images[0]["data"]))) as source:
                        size = source.size
                width, height = size or (64, 64)
                out.append(
                    {"inlineData": {"mimeType": "image/png", "data": _b64(png(width, height))}}
                )
        else:
            system = body.get("systemInstruction")
            prefix = "[system] " if system else ""
            out.append({"text": f"{prefix}echo: {text}"})
        candidate = {"content": {"role": "model", "parts": out}, "finishReason": "STOP", "index": 0}
        return Reply(200, {"candidates": [candidate], "modelVersion": match["model"]})

    # -- Veo ---------------------------------------------------------------------------

    def _long(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        body = request.json or {}
        prompt = ((body.get("instances") or [{}])[0]).get("prompt")
        if not isinstance(prompt, str):
            return Reply(
                400, google_error(400, "INVALID_ARGUMENT", "* instances[0].prompt: required")
            )
        name = f"models/{match['model']}/operations/{uuid.uuid4().hex[:12]}"
        with self.lock:
            self.operations[name] = Operation(match["model"], prompt)
        return Reply(200, {"name": name})

    def _operation(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        with self.lock:
            operation = self.operations.get(match["name"])
            if operation is None:
                return Reply(404, google_error(404, "NOT_FOUND", "Operation not found"))
            operation.polls += 1
        state: dict[str, Any] = {"name": match["name"]}
        if operation.cancelled:
            state.update(done=True, error={"code": 1, "message": "Operation cancelled."})
        elif "slow" in operation.prompt or operation.polls < self.steps:
            state["done"] = False
        elif "fails" in operation.prompt:
            state.update(
                done=True, error={"code": 3, "message": "Unsupported resolution for this model."}
            )
        elif "forbidden" in operation.prompt:
            filtered = {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [RAI_REASON]}
            state.update(done=True, response={"generateVideoResponse": filtered})
        else:
            file_id = uuid.uuid4().hex[:10]
            with self.lock:
                self.videos[file_id] = mp4_stub()
            uri = f"{self.origin}/v1beta/files/{file_id}:download?alt=media"
            sample = {"video": {"uri": uri}}
            response = {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
                "PredictLongRunningResponse",
                "generateVideoResponse": {"generatedSamples": [sample]},
            }
            state.update(done=True, response=response)
        return Reply(200, state)

    def _cancel(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        with self.lock:
            operation = self.operations.get(match["name"])
            if operation is None:
                return Reply(404, google_error(404, "NOT_FOUND", "Operation not found"))
            operation.cancelled = True
        return Reply(200, {})

    def _file_download(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        with self.lock:
            data = self.videos.get(match["file"])
        if data is None:
            return Reply(404, google_error(404, "NOT_FOUND", "File not found"))
        return Reply(200, data, content_type="video/mp4")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
