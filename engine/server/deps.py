"""FastAPI dependencies: the server state, the caller, the request body as JSON."""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from engine.server.auth import authenticate
from engine.server.errors import InvalidRequestError, UnprocessableError
from engine.server.service import ServerState
from engine.server.storage import Principal

ModelT = TypeVar("ModelT", bound=BaseModel)

#: Declares the Bearer scheme in the OpenAPI document; the check itself is ours.
bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")


# Dependencies are ``async def``: FastAPI runs plain ``def`` ones in a worker thread,
# a thread hop per dependency per request.


async def get_state(request: Request) -> ServerState:
    """The server's shared state."""
    return state_of(request)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller of an authenticated route (401 without a valid key)."""
    return principal_of(request)


async def base_url(request: Request) -> str:
    """The URL prefix for links in responses."""
    return base_of(request)


# The hottest routes (execute, trigger, poll) call these directly instead of
# declaring dependencies: FastAPI's dependency solving costs more than the work.


def state_of(request: Request) -> ServerState:
    """The server's shared state."""
    state: ServerState = request.app.state.server
    return state


def principal_of(request: Request) -> Principal:
    """The caller (401 without a valid key); the gateway has usually looked it up."""
    found = request.scope.get("state", {}).get("principal")
    if isinstance(found, Principal):
        return found
    return authenticate(state_of(request).storage, request.headers.get("authorization"))


def base_of(request: Request) -> str:
    """The URL prefix for links: the configured public URL, else this request's."""
    configured = state_of(request).config.server.public_url
    if configured:
        return configured.rstrip("/")
    scope = request.scope
    host = request.headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}".rstrip("/")


def parse_model(raw: bytes, model: type[ModelT]) -> ModelT | None:
    """An optional JSON body as ``model`` (``None`` when empty); 400/422 otherwise."""
    if not raw.strip():
        return None
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors()
        if errors and errors[0]["type"] == "json_invalid":
            raise InvalidRequestError(
                f"the request body is not valid JSON ({errors[0]['msg']})", code="invalid_json"
            ) from None
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in errors[:20]
        ]
        first = details[0]
        raise UnprocessableError(
            f"invalid request: {first['field'] or 'body'}: {first['message']}",
            code="invalid_body",
            details=details,
        ) from None


def parse_json(raw: bytes) -> Any:
    """A request body as JSON, or 400 ``invalid_json``."""
    if not raw.strip():
        raise InvalidRequestError("the request body is empty; send JSON", code="invalid_json")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise InvalidRequestError(
            f"the request body is not valid JSON ({detail})", code="invalid_json"
        ) from None


State = Annotated[ServerState, Depends(get_state)]
Caller = Annotated[Principal, Depends(get_principal)]
BaseUrl = Annotated[str, Depends(base_url)]
