"""A protocol double of a ComfyUI server (``server.py``'s routes,
https://docs.comfy.org/development/comfyui-server/comms_routes).

``POST /prompt`` validates the API-format graph like ComfyUI does (unknown
node classes, a checkpoint that is not installed, an image that was never
uploaded, no output node → 400 with ``error`` and ``node_errors``) and queues
it; ``GET /history/{id}`` is ``{}`` until the prompt has run; ``GET /queue``
lists it (behind :attr:`ahead` other prompts at first, then running);
``POST /queue {"delete"}`` and ``POST /interrupt {"prompt_id"}`` cancel;
``POST /upload/image`` stores inputs; ``GET /view`` serves outputs. With a
``token`` every request needs ``Authorization: Bearer <token>``.

A prompt moves one step per history poll: waiting, running, done. Behaviour by
the text of its CLIPTextEncode nodes: ``slow`` keeps it running until
interrupted, ``stuck`` keeps it waiting, ``explode`` fails in the KSampler,
``oom`` runs out of GPU memory. SaveImage nodes write an image the size of the
latent (1/8 of EmptyLatentImage's width and height) or of the loaded image.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from tests.engine.providers.doubles.media import png
from tests.engine.providers.doubles.openai import parse_form
from tests.engine.providers.doubles.server import DoubleServer, Recorded, Reply

CLASSES = frozenset(
    {
        "CheckpointLoaderSimple",
        "CLIPTextEncode",
        "EmptyLatentImage",
        "EmptySD3LatentImage",
        "FluxGuidance",
        "KSampler",
        "VAEDecode",
        "SaveImage",
        "PreviewImage",
        "LoadImage",
        "ImageInvert",
        "UpscaleModelLoader",
        "ImageUpscaleWithModel",
    }
)
CHECKPOINTS = ("v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors")
_OUTPUT_CLASSES = ("SaveImage", "PreviewImage")


@dataclass
class Job:
    prompt_id: str
    number: int
    graph: dict[str, Any]
    polls: int = 0
    deleted: bool = False
    interrupted: bool = False
    history: dict[str, Any] | None = None
    texts: str = field(default="")

    @property
    def state(self) -> str:
        if self.history is not None or self.deleted:
            return "gone"
        if "stuck" in self.texts or self.polls < 2:
            return "pending"
        if "slow" in self.texts or self.polls < 3:
            return "running"
        return "finishing"


def _problem(kind: str, message: str, details: str = "") -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": {}}


class ComfyUIDouble(DoubleServer):
    """A ComfyUI server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, token: str | None = None, ahead: int = 1) -> None:
        super().__init__()
        self.token = token
        self.ahead = ahead
        self.jobs: dict[str, Job] = {}
        self.uploads: dict[str, bytes] = {}
        self.files: dict[tuple[str, str, str], bytes] = {}
        self.interrupts: list[str | None] = []
        self.deletes: list[str] = []
        self._number = 0
        self.route("POST", r"/prompt", self._prompt, name="prompt")
        self.route("GET", r"/history/(?P<id>[^/]+)", self._history, name="history")
        self.route("GET", r"/queue", self._queue, name="queue")
        self.route("POST", r"/queue", self._queue_post, name="queue_post")
        self.route("POST", r"/interrupt", self._interrupt, name="interrupt")
        self.route("POST", r"/upload/image", self._upload, name="upload")
        self.route("GET", r"/view", self._view, name="view")

    def _denied(self, request: Recorded) -> Reply | None:
        if self.token is None or request.headers.get("authorization") == f"Bearer {self.token}":
            return None
        return Reply(401, "401: Unauthorized", content_type="text/plain")

    # -- queueing ------------------------------------------------------------------------

    def _validate(self, graph: Any) -> Reply | None:
        if not isinstance(graph, dict):
            return Reply(
                400, {"error": _problem("invalid_prompt", "Invalid prompt"), "node_errors": {}}
            )
        node_errors: dict[str, Any] = {}
        for node_id, node in graph.items():
            class_type = node.get("class_type")
            if class_type not in CLASSES:
                message = f"Cannot execute because node {class_type} does not exist."
                error = _problem("invalid_prompt", message, f"Node ID '#{node_id}'")
                return Reply(400, {"error": error, "node_errors": {}})
            inputs = node.get("inputs", {})
            problem = None
            if (
                class_type == "CheckpointLoaderSimple"
                and inputs.get("ckpt_name") not in CHECKPOINTS
            ):
                detail = f"ckpt_name: '{inputs.get('ckpt_name')}' not in {list(CHECKPOINTS)}"
                problem = _problem("value_not_in_list", "Value not in list", detail)
            if class_type == "LoadImage" and inputs.get("image") not in self.uploads:
                problem = _problem(
                    "custom_validation_failed",
                    "Custom validation failed for node",
                    f"image - Invalid image file: {inputs.get('image')}",
                )
            if problem is not None:
                node_errors[node_id] = {
                    "errors": [problem],
                    "dependent_outputs": [],
                    "class_type": class_type,
                }
        if node_errors:
            error = _problem("prompt_outputs_failed_validation", "Prompt outputs failed validation")
            return Reply(400, {"error": error, "node_errors": node_errors})
        if not any(node.get("class_type") in _OUTPUT_CLASSES for node in graph.values()):
            error = _problem("prompt_no_outputs", "Prompt has no outputs")
            return Reply(400, {"error": error, "node_errors": []})
        return None

    def _prompt(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        body = request.json or {}
        if "prompt" not in body:
            return Reply(
                400, {"error": _problem("no_prompt", "No prompt provided"), "node_errors": {}}
            )
        graph = body["prompt"]
        if (invalid := self._validate(graph)) is not None:
            return invalid
        texts = " ".join(
            str(node["inputs"].get("text", ""))
            for node in graph.values()
            if node.get("class_type") == "CLIPTextEncode"
        )
        with self.lock:
            self._number += 1
            job = Job(str(uuid.uuid4()), self._number, graph, texts=texts)
            self.jobs[job.prompt_id] = job
        return Reply(200, {"prompt_id": job.prompt_id, "number": job.number, "node_errors": {}})

    def _queue(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        running, pending = [], []
        with self.lock:
            for job in self.jobs.values():
                item = [job.number, job.prompt_id, job.graph, {"client_id": "x"}, ["9"]]
                if job.state == "pending":
                    pending.extend(
                        [
                            [job.number - 0.5 - i, f"other-{i}", {}, {}, []]
                            for i in range(self.ahead)
                        ]
                    )
                    pending.append(item)
                elif job.state == "running":
                    running.append(item)
        return Reply(200, {"queue_running": running, "queue_pending": pending})

    def _queue_post(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        with self.lock:
            for prompt_id in (request.json or {}).get("delete", []):
                self.deletes.append(prompt_id)
                job = self.jobs.get(prompt_id)
                if job is not None and job.state == "pending":
                    job.deleted = True
        return Reply(200, b"", content_type="text/plain")

    def _interrupt(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        prompt_id = (request.json or {}).get("prompt_id") if request.body else None
        with self.lock:
            self.interrupts.append(prompt_id)
            for job in self.jobs.values():
                if job.state == "running" and prompt_id in (None, job.prompt_id):
                    job.interrupted = True
                    job.history = self._interrupted(job)
        return Reply(200, b"", content_type="text/plain")

    # -- running -------------------------------------------------------------------------

    def _history(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        with self.lock:
            job = self.jobs.get(match["id"])
            if job is None or job.deleted:
                return Reply(200, {})
            if job.history is None:
                job.polls += 1
                if job.state == "finishing":
                    job.history = self._run(job)
            history = job.history
        return Reply(200, {job.prompt_id: history} if history is not None else {})

    def _status(self, job: Job, outcome: str, extra: list[Any]) -> dict[str, Any]:
        start = ["execution_start", {"prompt_id": job.prompt_id, "timestamp": 1}]
        return {
            "status_str": outcome,
            "completed": outcome == "success",
            "messages": [start, *extra],
        }

    def _interrupted(self, job: Job) -> dict[str, Any]:
        data = {"prompt_id": job.prompt_id, "node_id": "3", "node_type": "KSampler", "executed": []}
        status = self._status(job, "error", [["execution_interrupted", data]])
        return {
            "prompt": [job.number, job.prompt_id, job.graph, {}, []],
            "outputs": {},
            "status": status,
        }

    def _run(self, job: Job) -> dict[str, Any]:
        record: dict[str, Any] = {"prompt": [job.number, job.prompt_id, job.graph, {}, []]}
        failure = "explode" if "explode" in job.texts else "oom" if "oom" in job.texts else None
        if failure is not None:
            kind = "torch.OutOfMemoryError" if failure == "oom" else "RuntimeError"
            message = (
                "Allocation on device"
                if failure == "oom"
                else "mat1 and mat2 shapes cannot be multiplied (154x2048 and 768x320)"
            )
            data = {
                "prompt_id": job.prompt_id,
                "node_id": "3",
                "node_type": "KSampler",
                "executed": ["4"],
                "exception_message": message,
                "exception_type": kind,
                "traceback": ['  File "execution.py", line 1\n'],
            }
            record.update(
                outputs={}, status=self._status(job, "error", [["execution_error", data]])
            )
            return record
        outputs: dict[str, Any] = {}
        for node_id, node in job.graph.items():
            if node.get("class_type") not in _OUTPUT_CLASSES:
                continue
            kind = "output" if node["class_type"] == "SaveImage" else "temp"
            filename = f"ComfyUI_{len(self.files) + 1:05d}_.png"
            self.files[(filename, "", kind)] = png(*self._size(job.graph))
            outputs[node_id] = {"images": [{"filename": filename, "subfolder": "", "type": kind}]}
        success = ["execution_success", {"prompt_id": job.prompt_id, "timestamp": 2}]
        record.update(outputs=outputs, status=self._status(job, "success", [success]))
        return record

    def _size(self, graph: dict[str, Any]) -> tuple[int, int]:
        for node in graph.values():
            if node.get("class_type") == "LoadImage":
                with Image.open(io.BytesIO(self.uploads[node["inputs"]["image"]])) as image:
                    return image.size
        for node in graph.values():
            if node.get("class_type") in ("EmptyLatentImage", "EmptySD3LatentImage"):
                inputs = node["inputs"]
                return max(int(inputs["width"]) // 8, 1), max(int(inputs["height"]) // 8, 1)
        return 64, 64

    # -- files ---------------------------------------------------------------------------

    def _upload(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        form = parse_form(request)
        files = form.files.get("image") or []
        if not files:
            return Reply(400, b"", content_type="text/plain")
        filename, _, data = files[0]
        with self.lock:
            self.uploads[filename] = data
        return Reply(
            200, {"name": filename, "subfolder": "", "type": form.fields.get("type", "input")}
        )

    def _view(self, request: Recorded, match: re.Match[str]) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        key = tuple((request.query.get(k) or [""])[0] for k in ("filename", "subfolder", "type"))
        data = self.files.get(key)  # type: ignore[arg-type]
        if data is None:
            return Reply(404, b"", content_type="text/plain")
        return Reply(200, data, content_type="image/png")
