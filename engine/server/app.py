"""The FastAPI application: routes, error handlers, gateway middleware, lifespan.

``create_app(settings)`` builds one server. At startup it opens the database,
repairs what a crash left behind (interrupted executions become FAILED with reason
"interrupted", half-accepted idempotency claims are dropped, undelivered callbacks
resume) and starts the record flusher; at shutdown it records runs still in
progress as interrupted.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

import engine
from engine.server.catalog import build_server_catalog
from engine.server.errors import ApiError
from engine.server.middleware import GatewayMiddleware
from engine.server.responses import (
    api_error_handler,
    http_error_handler,
    validation_error_handler,
)
from engine.server.routes import account, executions, webhooks, workflows
from engine.server.service import ServerState
from engine.server.settings import ServerSettings
from engine.server.storage import SqliteStorage
from engine.workflow import Workflow

log = logging.getLogger("engine.server")

DESCRIPTION = """\
The Patchbay orchestration API: store workflows, run them on the server's engine,
follow runs by polling, server-sent events or a signed callback, publish workflows
as webhooks, and account for credits. Authenticate with `Authorization: Bearer <key>`
(except the webhook trigger). Every response carries `X-Request-Id` and
`X-RateLimit-Limit/Remaining/Reset`; errors are `{"error": {"type", "code",
"message", ...}}`. See docs/api.md.
"""


def create_app(settings: ServerSettings) -> FastAPI:
    """A server for ``settings`` (nothing is opened until the app starts)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    storage = SqliteStorage(settings.database_path)
    catalog = build_server_catalog(settings.extra_nodes)
    state = ServerState(settings, storage, catalog)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import time

        storage.start_checkpointer()
        storage.recover(time.time())
        state.runs.recover()
        state.runs.start_background()
        state.callbacks.resume_pending()
        try:
            yield
        finally:
            await state.runs.shutdown()
            await state.callbacks.close()
            storage.close()

    app = FastAPI(
        title="Patchbay API",
        version=engine.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.server = state
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    # The routes go straight onto the app's router: an included router is matched
    # as a unit of its own on every request, which costs more than the whole
    # gateway (measured with benchmarks/server_throughput.py). Hot routes first.
    for router in (workflows.router, webhooks.router, executions.router, account.router):
        app.router.routes.extend(router.routes)
    app.router.routes[0:0] = _fast_routes()
    app.add_middleware(
        GatewayMiddleware, storage=storage, config=settings.config, limiter=state.limiter
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _fast_routes() -> list[BaseRoute]:
    """Plain Starlette routes in front of the three hottest FastAPI ones.

    The FastAPI declarations stay (they make the OpenAPI document), but requests
    are served by these first: the endpoints already parse their requests by hand,
    and skipping FastAPI's per-request dependency machinery is a large share of a
    small request's cost (benchmarks/server_throughput.py).
    """

    async def execute(request: Request) -> Response:
        return await workflows.execute(request.path_params["workflow_id"], request)

    async def trigger(request: Request) -> Response:
        return await webhooks.trigger(request.path_params["webhook_id"], request)

    async def poll(request: Request) -> Response:
        return await executions.poll(request.path_params["execution_id"], request)

    return [
        Route("/api/v1/workflows/{workflow_id}/execute", execute, methods=["POST"]),
        Route("/workflow/{webhook_id}/trigger", trigger, methods=["POST"]),
        Route("/api/v1/executions/{execution_id}/poll", poll, methods=["GET"]),
    ]


_RATE_HEADERS = {
    "X-Request-Id": "Identifies the request (quote it when reporting a problem)",
    "X-RateLimit-Limit": "Requests allowed per minute",
    "X-RateLimit-Remaining": "Requests left in the current minute",
    "X-RateLimit-Reset": "Unix time (seconds) when the current minute ends",
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the workflow schema and the common headers added."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    workflow = Workflow.model_json_schema(
        by_alias=True, ref_template="#/components/schemas/{model}"
    )
    for name, definition in workflow.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components["Workflow"] = workflow
    headers = {
        name: {"description": text, "schema": {"type": "string"}}
        for name, text in _RATE_HEADERS.items()
    }
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                response.setdefault("headers", {}).update(headers)
                if status == "429":
                    response["headers"]["Retry-After"] = {
                        "description": "Seconds to wait before retrying",
                        "schema": {"type": "string"},
                    }
    app.openapi_schema = schema
    return schema
