"""A protocol double of Replicate's predictions API (https://replicate.com/docs/topics/predictions).

Endpoints under ``/v1``: ``POST /models/{owner}/{name}/predictions``,
``POST /predictions`` (``{"version": ...}``), ``GET /predictions/{id}``,
``POST /predictions/{id}/cancel``. Auth: ``Authorization: Bearer <token>``.
Errors are RFC 7807 problem details. ``Prefer: wait`` answers with the finished
prediction.

Behaviour is chosen by the prompt: ``slow`` keeps processing until cancelled,
``forbidden`` fails with Replicate's NSFW message, ``interrupted`` with its
"please retry" message, ``malformed`` makes the status
endpoint answer HTML; a missing prompt is a 422 at creation. Polls walk through
``steps``. ``outputs[model]`` picks the output shape: ``"url"`` (default),
``"list"`` (a list of image URLs), ``"text"`` (a list of tokens), ``"video"``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from tests.engine.providers.doubles.media import mp4_stub, png
from tests.engine.providers.doubles.server import DoubleServer, Recorded, Reply

STEPS = ("starting", "processing", "processing", "succeeded")
NSFW_ERROR = "NSFW content detected. Try running it again, or try a different prompt."
INTERRUPTED_ERROR = "Prediction interrupted; please retry (code: PA)"
_RATIOS = {"1:1": (48, 48), "16:9": (64, 36), "9:16": (36, 64), "4:3": (64, 48), "3:2": (60, 40)}


@dataclass
class Prediction:
    id: str
    model: str
    version: str | None
    input: dict[str, Any]
    polls: int = 0
    cancelled: bool = False
    output: Any = None

    @property
    def prompt(self) -> str:
        prompt = self.input.get("prompt")
        return prompt if isinstance(prompt, str) else ""


class ReplicateDouble(DoubleServer):
    """Replicate's predictions API on 127.0.0.1 (see the module docstring)."""

    def __init__(self, token: str, steps: tuple[str, ...] = STEPS) -> None:
        super().__init__()
        self.token = token
        self.steps = steps
        self.predictions: dict[str, Prediction] = {}
        self.outputs: dict[str, str] = {}
        self.versions: dict[str, str] = {}  # version id -> model
        self.route(
            "POST",
            r"/v1/models/(?P<owner>[^/]+)/(?P<name>[^/]+)/predictions",
            self._create_for_model,
            name="create",
        )
        self.route("POST", r"/v1/predictions", self._create_for_version, name="create")
        self.route("GET", r"/v1/predictions/(?P<id>[^/]+)", self._get, name="get")
        self.route("POST", r"/v1/predictions/(?P<id>[^/]+)/cancel", self._cancel, name="cancel")

    @property
    def url(self) -> str:
        return f"{self.origin}/v1"

    @staticmethod
    def problem(status: int, title: str, detail: str, **extra: Any) -> Reply:
        body = {"type": "about:blank", "title": title, "detail": detail, "status": status, **extra}
        return Reply(status, body, content_type="application/problem+json")

    def _unauthorised(self, request: Recorded) -> Reply | None:
        if request.headers.get("authorization") == f"Bearer {self.token}":
            return None
        return self.problem(401, "Unauthenticated", "You did not pass a valid authentication token")

    def _create_for_model(self, request: Recorded, match: re.Match[str]) -> Reply:
        return self._create(request, f"{match['owner']}/{match['name']}", None)

    def _create_for_version(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json if isinstance(request.json, dict) else {}
        version = str(body.get("version", ""))
        model = self.versions.get(version)
        if model is None:
            return self.problem(422, "Invalid version", "The specified version does not exist")
        return self._create(request, model, version)

    def _create(self, request: Recorded, model: str, version: str | None) -> Reply:
        if (denied := self._unauthorised(request)) is not None:
            return denied
        body = request.json
        inputs = body.get("input") if isinstance(body, dict) else None
        if not isinstance(inputs, dict):
            return self.problem(422, "Invalid input", "- input: Invalid type. Expected: object")
        if "prompt" not in inputs:
            invalid = [{"type": "required", "field": "input", "description": "prompt is required"}]
            return self.problem(
                422,
                "Input validation failed",
                "- input: prompt is required",
                invalid_fields=invalid,
            )
        prediction = Prediction(uuid.uuid4().hex[:26], model, version, inputs)
        with self.lock:
            self.predictions[prediction.id] = prediction
        if request.headers.get("prefer", "").startswith("wait") and "slow" not in prediction.prompt:
            with self.lock:
                prediction.polls = len(self.steps)
        return Reply(201, self._view(prediction))

    def _state(self, prediction: Prediction) -> str:
        if prediction.cancelled:
            return "canceled"
        if "slow" in prediction.prompt:
            return "starting" if prediction.polls == 0 else "processing"
        return self.steps[min(prediction.polls, len(self.steps) - 1)]

    def _view(self, prediction: Prediction) -> dict[str, Any]:
        state = self._state(prediction)
        base = f"{self.url}/predictions/{prediction.id}"
        view: dict[str, Any] = {
            "id": prediction.id,
            "model": prediction.model,
            "version": prediction.version or "dp-" + prediction.id,
            "input": prediction.input,
            "logs": "",
            "output": None,
            "error": None,
            "status": state,
            "created_at": "2025-01-01T00:00:00.000Z",
            "urls": {"get": base, "cancel": f"{base}/cancel", "stream": f"{base}/stream"},
        }
        if state == "processing":
            step = min(prediction.polls * 7, 28)
            view["logs"] = f"Using seed: 42\n{step * 100 // 28}%|####  | {step}/28 [00:01<00:01]"
        elif state == "succeeded":
            if "forbidden" in prediction.prompt:
                view.update(status="failed", error=NSFW_ERROR)
            elif "interrupted" in prediction.prompt:
                view.update(status="failed", error=INTERRUPTED_ERROR)
            else:
                with self.lock:
                    if prediction.output is None:
                        prediction.output = self._output(prediction)
                view["output"] = prediction.output
                view["metrics"] = {"predict_time": 0.5}
        return view

    def _output(self, prediction: Prediction) -> Any:
        shape = self.outputs.get(prediction.model, "url")
        if shape == "text":
            return ["Once", " upon", " a", " time"]
        if shape == "video":
            return self.publish(mp4_stub(), "video/mp4", ".mp4")
        ratio = str(prediction.input.get("aspect_ratio", "1:1"))
        width, height = _RATIOS.get(ratio, (48, 48))
        extension = str(prediction.input.get("output_format", "png"))
        pillow = {"jpg": "JPEG", "webp": "WEBP"}.get(extension, "PNG")
        media_type = {"jpg": "image/jpeg", "webp": "image/webp"}.get(extension, "image/png")
        if shape == "list":
            count = int(prediction.input.get("num_outputs", 2))
            return [self.publish(png(width, height), "image/png", ".png") for _ in range(count)]
        data = png(width, height, image_format=pillow)
        return self.publish(data, media_type, f".{extension}")

    def _get(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._unauthorised(request)) is not None:
            return denied
        with self.lock:
            prediction = self.predictions.get(match["id"])
            if prediction is None:
                return self.problem(404, "Not found", "The requested resource could not be found.")
            prediction.polls += 1
        if "malformed" in prediction.prompt:
            return Reply(200, "<html>upstream error</html>", content_type="text/html")
        return Reply(200, self._view(prediction))

    def _cancel(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._unauthorised(request)) is not None:
            return denied
        with self.lock:
            prediction = self.predictions.get(match["id"])
            if prediction is None:
                return self.problem(404, "Not found", "The requested resource could not be found.")
            if self._state(prediction) in ("starting", "processing"):
                prediction.cancelled = True
        return Reply(200, self._view(prediction))
