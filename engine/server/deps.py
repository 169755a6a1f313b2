"""FastAPI dependencies: the server state, the caller, the request body as JSON."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.server.auth import authenticate
from engine.server.errors import InvalidRequestError
from engine.server.service import ServerState
from engine.server.storage import Principal

#: Declares the Bearer scheme in the OpenAPI document; the check itself is ours.
bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")


def get_state(request: Request) -> ServerState:
    """The server's shared state."""
    state: ServerState = request.app.state.server
    return state


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller of an authenticated route (401 without a valid key).

    The gateway middleware has usually looked the key up already.
    """
    found = request.scope.get("state", {}).get("principal")
    if isinstance(found, Principal):
        return found
    return authenticate(get_state(request).storage, request.headers.get("authorization"))


def base_url(request: Request) -> str:
    """The URL prefix for links in responses."""
    return get_state(request).base_url(str(request.base_url))


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
