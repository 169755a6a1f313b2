"""``/workflow/{webhookId}/trigger``: run a published workflow without an API key.

The body becomes the run's inputs, whatever the caller can send:

- ``application/json``: an object mapping input names to values;
- ``application/x-www-form-urlencoded``: an HTML form (a repeated field is a list);
- ``multipart/form-data``: fields, and files: an uploaded image becomes the value
  of the image input it is named after (stored as an artifact of the account).

Sizes are bounded by ``[limits]`` (body bytes, number of files and fields). When
the webhook was published with ``signed: true``, ``Patchbay-Signature`` over the
raw body is required (see :mod:`engine.server.signing`).
"""

from __future__ import annotations

import io
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from PIL import Image, UnidentifiedImageError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.catalog.spec import PortType
from engine.server.deps import State, base_of, parse_json, state_of
from engine.server.errors import (
    AuthenticationError,
    Gone,
    InvalidRequestError,
    NotFound,
    PayloadTooLarge,
    UnprocessableError,
    UnsupportedMediaType,
    error_responses,
)
from engine.server.models import ExecutionAccepted, WebhookStatus
from engine.server.service import Idempotency, RunRequest, ServerState, fingerprint, idempotency_key
from engine.server.signing import SIGNATURE_HEADER, verify
from engine.server.storage import Account, StoredWorkflow, Webhook
from engine.values import Artifact

router = APIRouter(tags=["webhooks"])

TRIGGER_BODY: dict[str, Any] = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        },
        {
            "name": "Patchbay-Signature",
            "in": "header",
            "required": False,
            "description": "t=<unix>,v1=<hex HMAC-SHA256 of f'{t}.' + body>; "
            "required when the webhook is signed",
            "schema": {"type": "string"},
        },
    ],
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "additionalProperties": {"type": "string"}}
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "additionalProperties": {"type": "string", "format": "binary"},
                }
            },
        },
    },
}


def _webhook(request: Request, state: ServerState, webhook_id: str) -> Webhook | None:
    found = request.scope.get("state", {})
    if "webhook" in found:
        hook: Webhook | None = found["webhook"]
        return hook
    return state.storage.get_webhook(webhook_id)


@router.get(
    "/workflow/{webhook_id}/trigger",
    response_model=WebhookStatus,
    responses=error_responses(400, 404, 422, 429),
    summary="Is this webhook active?",
)
async def webhook_status(webhook_id: str, request: Request, state: State) -> dict[str, Any]:
    """Whether the webhook triggers runs (``active: false`` once unpublished or rotated)."""
    hook = _webhook(request, state, webhook_id)
    if hook is None:
        raise NotFound("no such webhook", code="webhook_not_found")
    return {"webhookId": hook.id, "active": hook.active, "signed": hook.secret is not None}


@router.post(
    "/workflow/{webhook_id}/trigger",
    status_code=202,
    response_model=ExecutionAccepted,
    responses=error_responses(400, 401, 402, 404, 409, 410, 413, 415, 422, 429, 503),
    openapi_extra=TRIGGER_BODY,
    summary="Trigger a published workflow",
)
async def trigger(webhook_id: str, request: Request) -> JSONResponse:
    """Start a run of the published workflow with the body as its inputs (202)."""
    # A hot route: no FastAPI dependencies (see engine.server.deps).
    state = state_of(request)
    base = base_of(request)
    key = request.headers.get("idempotency-key")
    hook = _webhook(request, state, webhook_id)
    if hook is None:
        raise NotFound("no such webhook", code="webhook_not_found")
    if not hook.active:
        raise Gone("this webhook was unpublished or replaced by a newer one")
    account = request.scope.get("state", {}).get("webhook_account") or state.storage.get_account(
        hook.account_id
    )
    stored = state.storage.get_workflow(hook.account_id, hook.workflow_id)
    if account is None or stored is None:
        raise Gone("the workflow of this webhook no longer exists")
    raw = await request.body()
    if hook.secret is not None and not verify(
        hook.secret, request.headers.get(SIGNATURE_HEADER), raw
    ):
        raise AuthenticationError(
            f"this webhook requires a valid, fresh {SIGNATURE_HEADER} header",
            code="invalid_signature",
        )
    inputs, digest = await _inputs(request, raw, state, account, stored)
    idempotency = None
    clean_key = idempotency_key(key)
    if clean_key is not None:
        idempotency = Idempotency(
            f"webhook:{hook.id}", clean_key, fingerprint("trigger", hook.id, digest)
        )
    accepted = await state.accept_run(
        account=account,
        stored=stored,
        run=RunRequest(inputs=inputs),
        base_url=base,
        idempotency=idempotency,
        webhook_id=hook.id,
        status_code=202,
    )
    return JSONResponse(accepted.body, status_code=accepted.status_code, headers=accepted.headers)


async def _inputs(
    request: Request, raw: bytes, state: ServerState, account: Account, stored: StoredWorkflow
) -> tuple[dict[str, Any], Any]:
    """The run inputs of a trigger body, and what identifies them for idempotency."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not raw.strip():
        return {}, {}
    if content_type in ("application/json", "") or content_type.endswith("+json"):
        body = parse_json(raw)
        if not isinstance(body, dict):
            raise UnprocessableError(
                "a webhook body must be a JSON object of input names to values",
                code="invalid_body",
            )
        return body, body
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise UnsupportedMediaType(
            f"send application/json, a urlencoded form or multipart/form-data, not {content_type}"
        )
    limits = state.config.limits
    try:
        form = await request.form(
            max_files=limits.max_webhook_files,
            max_fields=limits.max_webhook_fields,
            max_part_size=limits.max_webhook_body_bytes,
        )
    except StarletteHTTPException as exc:
        if exc.status_code == 413:
            raise
        detail = str(exc.detail)
        if "Too many" in detail or "exceeded" in detail.lower():
            raise PayloadTooLarge(f"the form is too large: {detail}") from None
        raise InvalidRequestError(f"malformed form body: {detail}", code="invalid_form") from None
    inputs: dict[str, Any] = {}
    digest: dict[str, Any] = {}
    try:
        for name in form:
            values = form.getlist(name)
            converted = [await _field(value, state, account) for value in values]
            inputs[name] = converted[0] if len(converted) == 1 else converted
            digest[name] = [v.id if isinstance(v, Artifact) else v for v in converted]
    finally:
        await form.close()
    return inputs, digest


async def _field(value: str | UploadFile, state: ServerState, account: Account) -> Any:
    if isinstance(value, str):
        return value
    data = await value.read()
    artifact = _store_image(state, data, value.filename or "upload")
    state.storage.add_artifact_owner(account.id, [artifact.id], time.time())
    return artifact


def _store_image(state: ServerState, data: bytes, filename: str) -> Artifact:
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or "PNG"
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UnprocessableError(
            f"the uploaded file {filename!r} is not an image this server can read",
            code="invalid_upload",
        ) from None
    media_type = Image.MIME.get(fmt, "application/octet-stream")
    return state.artifacts.put_bytes(
        data,
        kind=PortType.IMAGE,
        media_type=media_type,
        filename=filename,
        metadata={"width": width, "height": height},
    )
