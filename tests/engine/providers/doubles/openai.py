"""A protocol double of the OpenAI API (https://platform.openai.com/docs/api-reference).

Endpoints under ``/v1``: ``POST /images/generations``, ``POST /images/edits``
(multipart), ``POST /chat/completions``, ``POST /audio/speech``. Auth:
``Authorization: Bearer <key>``; with ``key=None`` no key is needed (like
Ollama). Errors are ``{"error": {"message", "type", "param", "code"}}``.

Behaviour is chosen by the prompt (or speech input): ``slow`` holds the request
until the client hangs up (the path is recorded in :attr:`aborted`),
``forbidden`` is refused by the "safety system" (``moderation_blocked``),
``refuse`` makes the chat model answer with a ``refusal``, ``malformed`` answers
HTML with status 200. The model ``missing-model`` does not exist (404).
"""

from __future__ import annotations

import base64
import email.policy
import io
import re
from dataclasses import dataclass, field
from email.parser import BytesParser
from typing import Any

from PIL import Image

from tests.engine.providers.doubles.media import png, wav
from tests.engine.providers.doubles.server import DoubleServer, Recorded, Reply

SAFETY_MESSAGE = (
    "Your request was rejected as a result of our safety system. Your request may contain "
    "content that is not allowed by our safety system."
)
#: A few bytes that start like an MP3 file (an ID3 tag), enough to be stored as audio.
MP3_STUB = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 64


@dataclass
class Form:
    """A parsed multipart request: text fields and files (name → [(filename, type, data)])."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[tuple[str, str, bytes]]] = field(default_factory=dict)


def parse_form(request: Recorded) -> Form:
    """The fields and files of a ``multipart/form-data`` request."""
    content_type = request.headers.get("content-type", "")
    raw = b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body
    message = BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    form = Form()
    if not message.is_multipart():
        return form
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition") or "")
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        filename = part.get_filename()
        if filename:
            form.files.setdefault(name, []).append((filename, part.get_content_type(), payload))
        else:
            form.fields[name] = payload.decode()
    return form


def error(message: str, kind: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _size(value: Any) -> tuple[int, int]:
    """Small stand-ins for OpenAI sizes (1/16 of each side)."""
    match = re.fullmatch(r"(\d+)x(\d+)", str(value or ""))
    if not match:
        return 64, 64
    return max(int(match[1]) // 16, 1), max(int(match[2]) // 16, 1)


class OpenAIDouble(DoubleServer):
    """The OpenAI API on 127.0.0.1 (see the module docstring)."""

    def __init__(self, key: str | None) -> None:
        super().__init__()
        self.key = key
        self.aborted: list[str] = []
        self.forms: list[Form] = []
        #: Where image URLs point (OpenAI serves them from another origin, a CDN).
        self.cdn: DoubleServer = self
        self.route("POST", r"/v1/images/generations", self._generations, name="generations")
        self.route("POST", r"/v1/images/edits", self._edits, name="edits")
        self.route("POST", r"/v1/chat/completions", self._chat, name="chat")
        self.route("POST", r"/v1/audio/speech", self._speech, name="speech")

    @property
    def url(self) -> str:
        """The base URL as OpenAI's SDKs spell it (with ``/v1``)."""
        return f"{self.origin}/v1"

    def _denied(self, request: Recorded) -> Reply | None:
        if self.key is None:
            return None
        header = request.headers.get("authorization", "")
        if header == f"Bearer {self.key}":
            return None
        if not header:
            message = "You didn't provide an API key."
            return Reply(401, error(message, "invalid_request_error", None))
        shown = header.removeprefix("Bearer ")
        masked = f"{shown[:3]}****{shown[-4:]}" if len(shown) > 8 else "****"
        message = f"Incorrect API key provided: {masked}. You can find your API key online."
        return Reply(401, error(message, "invalid_request_error", "invalid_api_key"))

    def _hold(self, request: Recorded) -> Reply:
        if self.wait_for_disconnect(10.0):
            with self.lock:
                self.aborted.append(request.path)
        return Reply(504, error("held too long", "server_error", None))

    def _image_reply(self, body: dict[str, Any], images: list[bytes]) -> Reply:
        data = []
        for image in images:
            if body.get("response_format") == "url":
                data.append({"url": self.cdn.publish(image, "image/png", ".png")})
            else:
                data.append({"b64_json": base64.b64encode(image).decode()})
        return Reply(200, {"created": 1_700_000_000, "data": data})

    def _generations(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        body = request.json or {}
        prompt = body.get("prompt")
        if not isinstance(prompt, str):
            message = "Missing required parameter: 'prompt'."
            return Reply(
                400, error(message, "invalid_request_error", "missing_required_parameter", "prompt")
            )
        if "slow" in prompt:
            return self._hold(request)
        if "forbidden" in prompt:
            return Reply(
                400, error(SAFETY_MESSAGE, "image_generation_user_error", "moderation_blocked")
            )
        if "malformed" in prompt:
            return Reply(200, "<html>Bad Gateway</html>", content_type="text/html")
        width, height = _size(body.get("size"))
        image_format = {"jpeg": "JPEG", "webp": "WEBP"}.get(str(body.get("output_format")), "PNG")
        images = [
            png(width, height, image_format=image_format) for _ in range(int(body.get("n", 1)))
        ]
        return self._image_reply(body, images)

    def _edits(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        form = parse_form(request)
        with self.lock:
            self.forms.append(form)
        uploads = form.files.get("image") or form.files.get("image[]") or []
        if not uploads:
            return Reply(
                400,
                error(
                    "Missing required parameter: 'image'.",
                    "invalid_request_error",
                    "missing_required_parameter",
                    "image",
                ),
            )
        if "forbidden" in form.fields.get("prompt", ""):
            return Reply(
                400, error(SAFETY_MESSAGE, "image_generation_user_error", "moderation_blocked")
            )
        with Image.open(io.BytesIO(uploads[0][2])) as source:
            width, height = source.size
        images = [png(width, height, (40, 40, 200)) for _ in range(int(form.fields.get("n", "1")))]
        return self._image_reply(dict(form.fields), images)

    def _chat(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        body = request.json or {}
        model = body.get("model")
        if model == "missing-model":
            missing = f"The model `{model}` does not exist or you do not have access to it."
            return Reply(404, error(missing, "invalid_request_error", "model_not_found"))
        messages = body.get("messages") or []
        user: dict[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {})
        content = user.get("content")
        images = 0
        if isinstance(content, list):
            images = sum(1 for part in content if part.get("type") == "image_url")
            content = " ".join(p.get("text", "") for p in content if p.get("type") == "text")
        text = str(content or "")
        if "slow" in text:
            return self._hold(request)
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        if "refuse" in text:
            message["refusal"] = "I'm sorry, I can't help with that."
        else:
            suffix = f" [+{images} image(s)]" if images else ""
            message["content"] = f"echo: {text}{suffix}"
        return Reply(
            200,
            {
                "id": "chatcmpl-123",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
            },
        )

    def _speech(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        body = request.json or {}
        text = body.get("input")
        if not isinstance(text, str) or not body.get("voice"):
            missing = "input" if not isinstance(text, str) else "voice"
            message = f"Missing required parameter: '{missing}'."
            return Reply(
                400, error(message, "invalid_request_error", "missing_required_parameter", missing)
            )
        if "slow" in text:
            return self._hold(request)
        response_format = body.get("response_format", "mp3")
        if response_format == "wav":
            return Reply(200, wav(), content_type="audio/wav")
        if response_format == "pcm":
            return Reply(200, b"\x00\x01" * 2400, content_type="application/octet-stream")
        return Reply(200, MP3_STUB, content_type="audio/mpeg")
