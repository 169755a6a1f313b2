"""A protocol double of fal's queue API (https://docs.fal.ai/model-endpoints/queue).

Endpoints: ``POST /{model_id}`` (submit), ``GET /{app}/requests/{id}/status``,
``GET /{app}/requests/{id}`` (result), ``PUT /{app}/requests/{id}/cancel``, where
``app`` is the first two segments of the model id (a sub-path such as ``/dev``
is only used to submit). Auth: ``Authorization: Key <key>``.

Behaviour is chosen by the prompt: ``slow`` never finishes (until cancelled),
``forbidden`` → 422 ``content_policy_violation``, ``nsfw`` → images flagged in
``has_nsfw_concepts``, ``malformed`` → an HTML body with status 200, ``empty`` →
no images; no prompt → 422 validation error. ``cues=False`` turns these prompt cues
off, for realistic prompts ("slow cinematic push-in"). Status polls walk through
``steps`` (``IN_QUEUE`` with a queue position, ``IN_PROGRESS`` with logs,
``COMPLETED``). ``kinds[model_id]`` picks the output: image (default, an
``images`` list), video (a typed MP4 stub), audio, ``upscaled_image`` (one
``image``: the ``image_url`` input enlarged by ``upscale_factor``, as fal's
upscalers answer) or ``mp4`` (a real H.264 MP4 of the ``duration`` input, in
seconds, made from the ``image_url`` input, as fal's video models answer).
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from engine.providers.media import decode_data_uri
from tests.engine.providers.doubles.media import FAL_SIZES, mp4, mp4_stub, png, wav
from tests.engine.providers.doubles.server import DoubleServer, Recorded, Reply

STEPS = ("IN_QUEUE", "IN_QUEUE", "IN_PROGRESS", "COMPLETED")


@dataclass
class FalJob:
    model: str
    app: str
    input: dict[str, Any]
    polls: int = 0
    cancelled: bool = False
    logs: list[str] = field(default_factory=list)

    @property
    def prompt(self) -> str:
        prompt = self.input.get("prompt")
        return prompt if isinstance(prompt, str) else ""


class FalDouble(DoubleServer):
    """fal's queue API on 127.0.0.1 (see the module docstring)."""

    def __init__(self, key: str, steps: tuple[str, ...] = STEPS, *, cues: bool = True) -> None:
        super().__init__()
        self.key = key
        self.cues = cues
        self.steps = steps
        self.jobs: dict[str, FalJob] = {}
        self.kinds: dict[str, str] = {}
        requests = r"/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)"
        self.route("GET", requests + "/status", self._status, name="status")
        self.route("PUT", requests + "/cancel", self._cancel, name="cancel")
        self.route("GET", requests, self._result, name="result")
        self.route("POST", r"/(?P<model>[^/]+/[^/]+(?:/[^/]+)*)", self._submit, name="submit")

    def _unauthorised(self, request: Recorded) -> Reply | None:
        if request.headers.get("authorization") == f"Key {self.key}":
            return None
        return Reply(401, {"detail": "No user found for Key ID and Secret"})

    def _cue(self, job: FalJob, word: str) -> bool:
        """Whether the prompt asks for a scripted behaviour (never when ``cues`` is off)."""
        return self.cues and word in job.prompt

    def _job(self, match: re.Match[str]) -> FalJob | None:
        with self.lock:
            job = self.jobs.get(match["id"])
        return job if job is not None and job.app == match["app"] else None

    def _submit(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._unauthorised(request)) is not None:
            return denied
        body = request.json
        if not isinstance(body, dict):
            return Reply(422, {"detail": [{"loc": ["body"], "msg": "expected an object"}]})
        model = match["model"]
        app = "/".join(model.split("/")[:2])
        request_id = str(uuid.uuid4())
        with self.lock:
            self.jobs[request_id] = FalJob(model, app, body)
        base = f"{self.origin}/{app}/requests/{request_id}"
        return Reply(
            200,
            {
                "status": "IN_QUEUE",
                "request_id": request_id,
                "response_url": base,
                "status_url": f"{base}/status",
                "cancel_url": f"{base}/cancel",
                "queue_position": 2,
            },
        )

    def _state(self, job: FalJob) -> str:
        if self._cue(job, "slow"):
            return "IN_QUEUE" if job.polls <= 1 else "IN_PROGRESS"
        return self.steps[min(job.polls, len(self.steps)) - 1] if job.polls else self.steps[0]

    def _status(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._unauthorised(request)) is not None:
            return denied
        job = self._job(match)
        if job is None:
            return Reply(404, {"detail": "Request not found"})
        with self.lock:
            job.polls += 1
            state = self._state(job)
            remaining = self.steps[job.polls :].count("IN_QUEUE") if state == "IN_QUEUE" else 0
        reply: dict[str, Any] = {"status": state, "request_id": match["id"]}
        base = f"{self.origin}/{job.app}/requests/{match['id']}"
        reply["response_url"] = base
        if state == "IN_QUEUE":
            reply["queue_position"] = remaining
        elif request.query.get("logs") == ["1"]:
            step = min(job.polls * 5, 20)
            reply["logs"] = [
                {"message": "Loading model", "level": "INFO", "timestamp": "2025-01-01T00:00:00"},
                {
                    "message": f"{step}/20 steps",
                    "level": "INFO",
                    "timestamp": "2025-01-01T00:00:01",
                },
            ]
        if state == "COMPLETED":
            reply["metrics"] = {"inference_time": 0.5}
        return Reply(200, reply)

    def _cancel(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._unauthorised(request)) is not None:
            return denied
        job = self._job(match)
        if job is None:
            return Reply(404, {"status": "NOT_FOUND"})
        with self.lock:
            done = self._state(job) == "COMPLETED"
            job.cancelled = not done
        if done:
            return Reply(400, {"status": "ALREADY_COMPLETED"})
        return Reply(202, {"status": "CANCELLATION_REQUESTED"})

    def _result(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._unauthorised(request)) is not None:
            return denied
        job = self._job(match)
        if job is None:
            return Reply(404, {"detail": "Request not found"})
        if self._state(job) != "COMPLETED":
            return Reply(400, {"detail": "Request is still in progress"})
        prompt = job.prompt
        if "prompt" not in job.input:
            missing = {"loc": ["body", "prompt"], "msg": "field required", "type": "missing"}
            return Reply(422, {"detail": [missing]})
        if self._cue(job, "forbidden"):
            flagged = {
                "loc": ["body", "prompt"],
                "msg": "The content was flagged by a content checker.",
                "type": "content_policy_violation",
                "url": "https://docs.fal.ai/errors#content_policy_violation",
                "input": prompt,
            }
            return Reply(422, {"detail": [flagged]}, {"X-Fal-Retryable": "false"})
        if self._cue(job, "malformed"):
            return Reply(200, "<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        return Reply(200, self._output(job))

    def _output(self, job: FalJob) -> dict[str, Any]:
        kind = self.kinds.get(job.model, "image")
        if kind == "video":
            url = self.publish(mp4_stub(), "video/mp4", ".mp4")
            return {"video": {"url": url, "content_type": "video/mp4", "file_name": "output.mp4"}}
        if kind == "audio":
            url = self.publish(wav(), "audio/wav", ".wav")
            return {"audio": {"url": url, "content_type": "audio/wav", "file_name": "speech.wav"}}
        if kind == "upscaled_image":
            return self._upscaled(job)
        if kind == "mp4":
            data = mp4(float(job.input.get("duration", 5)), self._input_image(job))
            url = self.publish(data, "video/mp4", ".mp4")
            video = {"url": url, "content_type": "video/mp4", "file_name": "output.mp4"}
            return {"video": {**video, "file_size": len(data)}}
        size = job.input.get("image_size", "landscape_4_3")
        if isinstance(size, dict):
            width, height = int(size["width"]), int(size["height"])
        else:
            width, height = FAL_SIZES.get(str(size), (64, 48))
        count = int(job.input.get("num_images", 1))
        images = []
        for _ in range(0 if self._cue(job, "empty") else count):
            url = self.publish(png(width, height), "image/png", ".png")
            images.append(
                {"url": url, "width": width, "height": height, "content_type": "image/png"}
            )
        nsfw = self._cue(job, "nsfw")
        return {
            "images": images,
            "timings": {"inference": 0.4},
            "seed": int(job.input.get("seed") or 42),
            "has_nsfw_concepts": [nsfw] * len(images),
            "prompt": job.prompt,
        }

    def _input_image(self, job: FalJob) -> bytes | None:
        """The image sent as the ``image_url`` data URI, if any."""
        source = job.input.get("image_url")
        if not isinstance(source, str) or not source.startswith("data:"):
            return None
        return decode_data_uri(source, limit=50 * 1024 * 1024)[0]

    def _upscaled(self, job: FalJob) -> dict[str, Any]:
        source = self._input_image(job) or png(64, 48)
        factor = float(job.input.get("upscale_factor", 2))
        buffer = io.BytesIO()
        with Image.open(io.BytesIO(source)) as original:
            width, height = round(original.width * factor), round(original.height * factor)
            original.convert("RGB").resize((width, height), Image.Resampling.LANCZOS).save(
                buffer, format="PNG"
            )
        url = self.publish(buffer.getvalue(), "image/png", ".png")
        image = {"url": url, "width": width, "height": height, "content_type": "image/png"}
        return {"image": image, "seed": int(job.input.get("seed") or 42)}
