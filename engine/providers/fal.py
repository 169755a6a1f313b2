"""fal adapter: the queue API.

Protocol (https://docs.fal.ai/model-endpoints/queue,
https://docs.fal.ai/documentation/model-apis/inference/queue,
https://fal.ai/docs/inference-api/queue/cancel):

- ``POST https://queue.fal.run/{model_id}`` with ``Authorization: Key <FAL_KEY>``
  and the model's input as the JSON body → ``{request_id, status_url,
  response_url, cancel_url}``;
- ``GET .../requests/{id}/status?logs=1`` → ``IN_QUEUE`` (``queue_position``),
  ``IN_PROGRESS`` (``logs``), ``COMPLETED``;
- ``GET .../requests/{id}`` → the model's output (or its error, with the
  model's HTTP status);
- ``PUT .../requests/{id}/cancel`` → 202 ``CANCELLATION_REQUESTED`` (400
  ``ALREADY_COMPLETED`` when too late; ignored).

Status and result live under the app id (the first two segments of the model
id, without a sub-path such as ``/dev``); the URLs fal returns are followed only
when they are on the queue's own origin, so the key never leaves it.

Errors (https://fal.ai/docs/documentation/model-apis/errors,
https://fal.ai/docs/documentation/model-apis/request-errors): model errors are
``{"detail": [{loc, msg, type, ...}]}`` — ``content_policy_violation`` is a
moderation refusal (permanent); request errors are ``{"detail", "error_type"}``
(timeouts and runner failures: transient). ``X-Fal-Retryable`` overrides the
status-code rule. A result whose ``has_nsfw_concepts`` flags every image is a
refusal too (fal blacks those images out).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from engine.catalog.spec import PortType
from engine.errors import NodeError, PermanentNodeError, TransientNodeError
from engine.providers.base import Progress, Provider, ProviderCall, progress_from_logs
from engine.providers.http import describe_body, read_json

__all__ = ["FalProvider"]

#: Request ``error_type`` values that a later attempt may not hit.
_TRANSIENT_ERROR_TYPES = frozenset(
    {
        "request_timeout",
        "startup_timeout",
        "runner_scheduling_failure",
        "runner_connection_timeout",
        "runner_disconnected",
        "runner_connection_refused",
        "runner_connection_error",
        "runner_incomplete_response",
        "runner_server_error",
        "internal_error",
    }
)
_RUNNING = frozenset({"IN_QUEUE", "IN_PROGRESS"})


def _error_types(body: Any) -> list[str]:
    items = body.get("detail") if isinstance(body, Mapping) else body
    if isinstance(items, list):
        return [str(i.get("type")) for i in items if isinstance(i, Mapping) and i.get("type")]
    return []


class FalProvider(Provider):
    """Runs fal models through the queue API (see the module docstring)."""

    name = "fal"
    label = "fal"
    credential = "FAL_KEY"
    default_base_url = "https://queue.fal.run"
    default_output_paths: ClassVar[Mapping[PortType, tuple[str, ...]]] = {
        PortType.IMAGE: ("images[0]", "image"),
        PortType.MASK: ("mask", "image", "images[0]"),
        PortType.VIDEO: ("video",),
        PortType.AUDIO: ("audio", "audio_file", "audio_url"),
        PortType.MESH: ("model_mesh", "model_glb", "mesh", "model"),
        PortType.TEXT: ("output", "text"),
        PortType.JSON: ("",),
    }

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Key {self.api_key}"} if self.api_key else {}

    def error_for_response(
        self, response: httpx.Response, details: Mapping[str, object] | None = None
    ) -> NodeError:
        error = super().error_for_response(response, details)
        body = read_json(response)
        types = _error_types(body)
        error_type = body.get("error_type") if isinstance(body, Mapping) else None
        retryable = response.headers.get("x-fal-retryable", "").strip().lower()
        if "content_policy_violation" in types:
            said = self.redact(describe_body(body))[:300]
            return PermanentNodeError(
                f"fal refused the request (content policy): {said}",
                details={**error.details, "code": "moderation", "errorTypes": types},
            )
        transient = error.transient
        if retryable in ("true", "1", "yes") or error_type in _TRANSIENT_ERROR_TYPES:
            transient = True
        elif retryable in ("false", "0", "no"):
            transient = False
        if transient == error.transient:
            return error
        extra = {**error.details, "errorType": error_type} if error_type else error.details
        if transient:
            return TransientNodeError(error.message, details=extra)
        return PermanentNodeError(error.message, details=extra)

    async def run(self, call: ProviderCall) -> dict[str, Any]:
        model_id = (call.spec.model_id or "").strip("/")
        segments = model_id.split("/")
        if len(segments) < 2 or any(s in ("", ".", "..") for s in segments):
            raise PermanentNodeError(
                f"node type {call.spec.type}: {model_id!r} is not a fal model id like "
                "'fal-ai/flux/dev'",
                details={"provider": self.name, "code": "bad_model_id"},
            )
        path = quote(model_id, safe="/-_.~")
        arguments = await self.arguments(call)
        progress = self.progress(call)
        submitted = await self.request_json("POST", f"/{path}", json=arguments)
        request_id = self.field(submitted, "request_id", str, "queue response")
        details = {"requestId": request_id}
        self._report(progress, submitted)
        base = f"/{'/'.join(path.split('/')[:2])}/requests/{quote(request_id, safe='')}"
        status_url = self.follow(submitted.get("status_url"), f"{base}/status")
        response_url = self.follow(submitted.get("response_url"), base)
        cancel_url = self.follow(submitted.get("cancel_url"), f"{base}/cancel")

        async def fetch_status() -> dict[str, Any]:
            body = await self.request_json("GET", status_url, params={"logs": "1"}, details=details)
            self.field(body, "status", str, "status response")
            self._report(progress, body)
            return dict(body)

        async def finish() -> Any:
            status = await self.poll(fetch_status, lambda s: s["status"] not in _RUNNING)
            self._check_status(status, details)
            progress(None, "fetching the result from fal")
            return await self.request_json("GET", response_url, details=details)

        async def cancel() -> None:
            await self.request("PUT", cancel_url, details=details)

        result = await self.cancel_on_abort(finish(), cancel, job=request_id)
        if not isinstance(result, Mapping):
            raise PermanentNodeError(
                f"fal sent a malformed result: expected an object, got {type(result).__name__}",
                details={"provider": self.name, "code": "malformed_response", **details},
            )
        self._check_nsfw(result, details)
        outputs = await self.outputs(call, result)
        progress(1.0)
        return outputs

    def _report(self, progress: Progress, body: Mapping[str, Any]) -> None:
        status = body.get("status")
        if status == "IN_QUEUE":
            position = body.get("queue_position")
            where = f" (position {position})" if isinstance(position, int) else ""
            progress(0.0, f"queued at fal{where}")
        elif status == "IN_PROGRESS":
            logs = body.get("logs") if isinstance(body.get("logs"), list) else []
            lines = [str(e.get("message", "")) for e in logs or [] if isinstance(e, Mapping)]
            fraction = progress_from_logs(lines)
            progress(fraction, lines[-1] if lines else "running on fal")

    def _check_status(self, status: Mapping[str, Any], details: dict[str, str]) -> None:
        state = status.get("status")
        error = status.get("error")
        if state == "COMPLETED" and not error:
            return
        error_type = status.get("error_type")
        message = self.redact(describe_body(error, f"the request ended as {state}"))[:300]
        extra = {"provider": self.name, **details, "status": str(state)}
        if error_type in _TRANSIENT_ERROR_TYPES:
            raise TransientNodeError(f"fal: {message}", details={**extra, "code": error_type})
        code = "cancelled" if state in ("CANCELED", "CANCELLED") else "failed"
        raise PermanentNodeError(f"fal: {message}", details={**extra, "code": code})

    def _check_nsfw(self, result: Mapping[str, Any], details: dict[str, str]) -> None:
        flags = result.get("has_nsfw_concepts")
        if isinstance(flags, list) and flags and all(flag is True for flag in flags):
            raise PermanentNodeError(
                "fal's safety checker flagged the output as NSFW and withheld it; "
                "change the prompt or the safety settings",
                details={"provider": self.name, "code": "moderation", **details},
            )
