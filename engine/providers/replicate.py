"""Replicate adapter: the predictions API.

Protocol (https://replicate.com/docs/topics/predictions/create-a-prediction,
https://replicate.com/docs/topics/predictions,
https://replicate.com/docs/topics/predictions/input-files,
https://sdks.replicate.com/typescript/resources/predictions/methods/create):

- ``POST https://api.replicate.com/v1/models/{owner}/{name}/predictions`` (official
  models) or ``POST /v1/predictions`` with ``{"version": ...}`` (a pinned version:
  model id ``owner/name:version``), ``Authorization: Bearer <REPLICATE_API_TOKEN>``,
  body ``{"input": {...}}``; ``Prefer: wait=N`` (sync mode) when the node's
  ``provider_options["prefer_wait"]`` asks for it;
- ``GET /v1/predictions/{id}`` → ``status`` ``starting`` | ``processing`` |
  ``succeeded`` | ``failed`` | ``canceled`` (``aborted`` past a deadline),
  ``output`` (a URL, a list of URLs, text, a list of tokens or an object),
  ``error``, ``logs``;
- ``POST /v1/predictions/{id}/cancel``.

``output_paths`` of a Replicate node are read from the prediction's ``output``
(``""`` the whole output, ``"[0]"`` its first item). API errors are RFC 7807
problem details (``title``, ``detail``); a failed prediction's ``error`` is the
model's message — a safety refusal ("NSFW content detected", "flagged as
sensitive") is permanent, "Prediction interrupted; please retry" is transient.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from engine.catalog.spec import PortType
from engine.errors import PermanentNodeError, TransientNodeError
from engine.providers.base import Progress, Provider, ProviderCall, progress_from_logs
from engine.providers.http import looks_like_moderation

__all__ = ["ReplicateProvider"]

_VERSION = re.compile(r"^[0-9a-f]{64}$")
_RUNNING = frozenset({"starting", "processing"})
_WHOLE_OUTPUT = ("",)


class ReplicateProvider(Provider):
    """Runs Replicate models through the predictions API (see the module docstring)."""

    name = "replicate"
    label = "Replicate"
    credential = "REPLICATE_API_TOKEN"
    default_base_url = "https://api.replicate.com/v1"
    default_output_paths: ClassVar[Mapping[PortType, tuple[str, ...]]] = dict.fromkeys(
        PortType, _WHOLE_OUTPUT
    )

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _endpoint(
        self, call: ProviderCall, arguments: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        model_id = (call.spec.model_id or "").strip()
        model, _, version = model_id.partition(":")
        if not version and _VERSION.match(model):
            model, version = "", model
        if version:
            if not _VERSION.match(version):
                raise self._bad_model_id(call)
            return "/predictions", {"version": version, "input": arguments}
        parts = model.split("/")
        if len(parts) != 2 or not all(parts) or any(p in (".", "..") for p in parts):
            raise self._bad_model_id(call)
        owner, name = (quote(p, safe="-_.~") for p in parts)
        return f"/models/{owner}/{name}/predictions", {"input": arguments}

    def _bad_model_id(self, call: ProviderCall) -> PermanentNodeError:
        return PermanentNodeError(
            f"node type {call.spec.type}: {call.spec.model_id!r} is not a Replicate model "
            "like 'owner/name' or 'owner/name:<64-hex version>'",
            details={"provider": self.name, "code": "bad_model_id"},
        )

    async def run(self, call: ProviderCall) -> dict[str, Any]:
        arguments = await self.arguments(call)
        path, body = self._endpoint(call, arguments)
        headers: dict[str, str] = {}
        wait = call.spec.provider_options.get("prefer_wait")
        if isinstance(wait, int) and not isinstance(wait, bool) and 1 <= wait <= 60:
            headers["Prefer"] = f"wait={wait}"
        progress = self.progress(call)
        created = await self.request_json("POST", path, json=body, headers=headers)
        prediction_id = self.field(created, "id", str, "prediction")
        details = {"predictionId": prediction_id}
        self.field(created, "status", str, "prediction")
        self._report(progress, created)
        urls = created.get("urls") if isinstance(created.get("urls"), Mapping) else {}
        quoted = quote(prediction_id, safe="")
        get_url = self.follow(urls.get("get"), f"/predictions/{quoted}")
        cancel_url = self.follow(urls.get("cancel"), f"/predictions/{quoted}/cancel")

        async def fetch() -> dict[str, Any]:
            state = await self.request_json("GET", get_url, details=details)
            self.field(state, "status", str, "prediction")
            self._report(progress, state)
            return dict(state)

        async def finish() -> dict[str, Any]:
            if created["status"] not in _RUNNING:
                return dict(created)
            return await self.poll(fetch, lambda s: s["status"] not in _RUNNING)

        async def cancel() -> None:
            await self.request("POST", cancel_url, details=details)

        final = await self.cancel_on_abort(finish(), cancel, job=prediction_id)
        output = self._output(final, details)
        outputs = await self.outputs(call, output)
        progress(1.0)
        return outputs

    def _report(self, progress: Progress, prediction: Mapping[str, Any]) -> None:
        status = prediction.get("status")
        if status == "starting":
            progress(0.0, "starting on Replicate")
        elif status == "processing":
            logs = prediction.get("logs")
            lines = [ln for ln in logs.splitlines() if ln.strip()] if isinstance(logs, str) else []
            progress(progress_from_logs(lines), lines[-1] if lines else "running on Replicate")

    def _output(self, prediction: Mapping[str, Any], details: dict[str, str]) -> Any:
        status = prediction.get("status")
        extra: dict[str, object] = {"provider": self.name, **details, "status": str(status)}
        if status == "succeeded":
            output = prediction.get("output")
            if output is None:
                raise PermanentNodeError(
                    "Replicate reported success but sent no output",
                    details={**extra, "code": "malformed_response"},
                )
            return output
        error = prediction.get("error")
        said = self.redact(str(error) if error else f"the prediction ended as {status}")[:400]
        if status == "failed":
            if looks_like_moderation(said):
                raise PermanentNodeError(
                    f"Replicate refused the request: {said}",
                    details={**extra, "code": "moderation"},
                )
            if "please retry" in said.lower() or "interrupted" in said.lower():
                raise TransientNodeError(
                    f"Replicate: {said}", details={**extra, "code": "interrupted"}
                )
            raise PermanentNodeError(f"Replicate: {said}", details={**extra, "code": "failed"})
        raise PermanentNodeError(
            f"Replicate: the prediction was {status} ({said})",
            details={**extra, "code": "cancelled"},
        )
