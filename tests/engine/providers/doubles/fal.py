"""A protocol double of fal's queue API (https://docs.fal.ai/model-endpoints/queue).

Endpoints: ``POST /{model_id}`` (submit), ``GET /{app}/requests/{id}/status``,
``GET /{app}/requests/{id}`` (result), ``PUT /{app}/requests/{id}/cancel``, where
``app`` is the first two segments of the model id (a sub-path such as ``/dev``
is only used to submit). Auth: ``Authorization: Key <key>``.

Behaviour is chosen by the prompt: ``slow`` never finishes (until cancelled),
``forbidden`` → 422 ``content_policy_violation``, ``nsfw`` → images flagged in
``has_nsfw_concepts``, ``malformed`` → an HTML body with status 200, ``empty`` →
no images; no prompt → 422 validation error. Status polls walk through
``steps`` (``IN_QUEUE`` with a queue position, ``IN_PROGRESS`` with logs,
``COMPLETED``). ``kinds[model_id]`` picks the output: image (default), video,
audio.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.engine.providers.doubles.media import FAL_SIZES, mp4_stub, png, wav
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

    def __init__(self, key: str, steps: tuple[str, ...] = STEPS) -> None:
        super().__init__()
        self.key = key
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
        if "slow" in job.prompt:
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
        if "forbidden" in prompt:
            flagged = {
                "loc": ["body", "prompt"],
                "msg": "The content was flagged by a content checker.",
                "type": "content_policy_violation",
                "url": "https://docs.fal.ai/errors#content_policy_violation",
                "input": prompt,
            }
            return Reply(422, {"detail": [flagged]}, {"X-Fal-Retryable": "false"})
        if "malformed" in prompt:
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
        size = job.input.get("image_size", "landscape_4_3")
        if isinstance(size, dict):
            width, height = int(size["width"]), int(size["height"])
        else:
            width, height = FAL_SIZES.get(str(size), (64, 48))
        count = int(job.input.get("num_images", 1))
        images = []
        for _ in range(0 if "empty" in job.prompt else count):
            url = self.publish(png(width, height), "image/png", ".png")
            images.append(
                {"url": url, "width": width, "height": height, "content_type": "image/png"}
            )
        nsfw = "nsfw" in job.prompt
        return {
            "images": images,
            "timings": {"inference": 0.4},
            "seed": int(job.input.get("seed") or 42),
            "has_nsfw_concepts": [nsfw] * len(images),
            "prompt": job.prompt,
        }
