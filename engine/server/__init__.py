"""The Patchbay server: the REST API of DESIGN §5 on FastAPI, uvicorn and SQLite.

``patchbay serve`` runs it; :func:`create_app` builds the ASGI application for a
:class:`ServerSettings` (tests and embedders). See ``docs/api.md``.

FastAPI is imported only when :func:`create_app` is first used, so the key and
credit commands, which need only the storage, start quickly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.server.settings import ServerConfig, ServerSettings, Tier, load_config

if TYPE_CHECKING:
    from engine.server.app import create_app

__all__ = ["ServerConfig", "ServerSettings", "Tier", "create_app", "load_config"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from engine.server.app import create_app

        return create_app
    raise AttributeError(f"module 'engine.server' has no attribute {name!r}")
