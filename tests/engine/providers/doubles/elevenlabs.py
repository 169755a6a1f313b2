"""A protocol double of the ElevenLabs API (https://elevenlabs.io/docs/api-reference).

Endpoints: ``POST /v1/text-to-speech/{voice_id}``, ``POST /v1/sound-generation`` and
``POST /v1/music`` (``prompt``),
``output_format`` in the query string, answering audio bytes. Auth:
``xi-api-key: <key>``. Errors: ``{"detail": {"status", "message"}}`` (FastAPI's
``{"detail": [{loc, msg, type}]}`` for a missing field).

Behaviour by text: ``slow`` holds the request until the client hangs up
(recorded in :attr:`aborted`), ``quota`` fails with ``quota_exceeded`` (a 401, as
ElevenLabs sends it). Voices are those of :data:`VOICES`. MP3 answers are a tiny
stub unless ``real_audio`` is set: then speech is a real MP3 lasting one second
per :data:`CHARS_PER_SECOND` characters of the text.
"""

from __future__ import annotations

import re
from typing import Any

from tests.engine.providers.doubles.media import mp3
from tests.engine.providers.doubles.openai import MP3_STUB
from tests.engine.providers.doubles.server import DoubleServer, Recorded, Reply

VOICES = {"JBFqnCBsd6RMkjVDRZzb": "George", "EXAVITQu4vr4xnSDxMaL": "Sarah"}
QUOTA_MESSAGE = (
    "This request exceeds your quota of 10000. You have 12 credits remaining, "
    "while 43 credits are required for this request."
)
#: Speaking rate of ``real_audio`` speech.
CHARS_PER_SECOND = 15


def detail(status: str, message: str) -> dict[str, Any]:
    return {"detail": {"status": status, "message": message}}


class ElevenLabsDouble(DoubleServer):
    """The ElevenLabs API on 127.0.0.1 (see the module docstring)."""

    def __init__(self, key: str, *, real_audio: bool = False) -> None:
        super().__init__()
        self.key = key
        self.real_audio = real_audio
        self.aborted: list[str] = []
        self.route("POST", r"/v1/text-to-speech/(?P<voice>[^/]+)", self._speech, name="tts")
        self.route("POST", r"/v1/sound-generation", self._sound, name="sfx")
        self.route("POST", r"/v1/music", self._music, name="music")

    def _denied(self, request: Recorded) -> Reply | None:
        if request.headers.get("xi-api-key") == self.key:
            return None
        return Reply(401, detail("invalid_api_key", "Invalid API key"))

    def _text(self, request: Recorded) -> tuple[str | None, Reply | None]:
        body = request.json if request.body else None
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            missing = {"type": "missing", "loc": ["body", "text"], "msg": "Field required"}
            return None, Reply(422, {"detail": [missing]})
        if "quota" in text:
            return None, Reply(401, detail("quota_exceeded", QUOTA_MESSAGE))
        if "slow" in text:
            if self.wait_for_disconnect(10.0):
                with self.lock:
                    self.aborted.append(request.path)
            return None, Reply(504, detail("timeout", "held too long"))
        return text, None

    def _audio(self, request: Recorded, text: str = "") -> Reply:
        output_format = (request.query.get("output_format") or ["mp3_44100_128"])[0]
        headers = {"request-id": "req-0123456789", "x-character-count": str(len(text) or 42)}
        if output_format.startswith("pcm_"):
            return Reply(200, b"\x00\x01" * 1600, headers, "application/octet-stream")
        if self.real_audio and text:
            return Reply(200, mp3(len(text) / CHARS_PER_SECOND), headers, "audio/mpeg")
        return Reply(200, MP3_STUB, headers, "audio/mpeg")

    def _speech(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        if match["voice"] not in VOICES:
            message = f"A voice with the voice_id {match['voice']} was not found."
            return Reply(404, detail("voice_not_found", message))
        text, failure = self._text(request)
        return failure or self._audio(request, text or "")

    def _sound(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        _, failure = self._text(request)
        return failure or self._audio(request)

    def _music(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        body = request.json if request.body else None
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            missing = {"type": "missing", "loc": ["body", "prompt"], "msg": "Field required"}
            return Reply(422, {"detail": [missing]})
        return self._audio(request)
