"""Talking to a Patchbay server from a dialog without blocking the window.

:class:`ServerTasks` runs coroutines on the app's qasync loop
(:func:`app.runners.install_event_loop`) and hands their results back to slots on
the GUI thread; :func:`describe_error` turns the client's errors into one sentence
for the user (the API key is never part of it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from app.runners import install_event_loop
from app.servers import ServerProfile, ServerStore
from engine.client import (
    ApiError,
    AuthenticationFailed,
    ClientError,
    ClientRetry,
    InsufficientCredits,
    InvalidRequest,
    NotFoundError,
    PatchbayClient,
    ProtocolError,
    RateLimited,
    ServerUnreachable,
)

T = TypeVar("T")

#: Dialog requests fail fast: one quick retry, then the error is shown inline.
DIALOG_RETRY = ClientRetry(attempts=2, initial_backoff_s=0.3, max_backoff_s=1.0, max_wait_s=10.0)


class MissingKey(ClientError):
    """No API key is stored for the server (and ``PATCHBAY_API_KEY`` is not set)."""


class ServerTasks(QObject):
    """Coroutines of one dialog on the app's event loop.

    ``busy_changed(bool)`` tells whether any is running (dialogs disable their
    buttons meanwhile); :meth:`cancel` stops them all (the dialog closed).
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def start(
        self,
        work: Coroutine[Any, Any, T],
        done: Callable[[T], None],
        failed: Callable[[ClientError], None],
    ) -> asyncio.Task[Any]:
        """Run ``work``; then ``done(result)`` or ``failed(error)`` on the GUI thread."""
        loop = install_event_loop()
        task = loop.create_task(self._run(work, done, failed))
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        if len(self._tasks) == 1:
            self.busy_changed.emit(True)
        return task

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _run(
        self,
        work: Awaitable[T],
        done: Callable[[T], None],
        failed: Callable[[ClientError], None],
    ) -> None:
        outcome: Callable[[], None]
        try:
            result = await work
        except ClientError as exc:
            outcome = partial(failed, exc)
        except ValueError as exc:  # a URL or key the client refused
            outcome = partial(failed, ClientError(str(exc)))
        else:
            outcome = partial(done, result)
        # Not busy any more before the slots run: they may start the next request.
        self._release(asyncio.current_task())
        outcome()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._release(task)

    def _release(self, task: asyncio.Task[Any] | None) -> None:
        if task in self._tasks:
            self._tasks.discard(task)
            if not self._tasks:
                self.busy_changed.emit(False)


def open_client(
    store: ServerStore, profile: ServerProfile, *, retry: ClientRetry = DIALOG_RETRY
) -> PatchbayClient:
    """A client for ``profile`` with its stored key (:class:`MissingKey` when none)."""
    key = store.api_key(profile.url)
    if key is None:
        raise MissingKey(f"No API key is stored for {profile.name}: add the server again")
    return PatchbayClient(profile.url, key, retry=retry)


def describe_error(error: BaseException, server: str) -> str:
    """One sentence for the user about a failed request to ``server``."""
    if isinstance(error, MissingKey):
        return str(error)
    if isinstance(error, AuthenticationFailed):
        return (
            f"{server} rejected the API key ({error.code}). "
            "Check the key, or create a new one with “patchbay keys create”."
        )
    if isinstance(error, ServerUnreachable):
        return (
            f"Cannot reach {server} at {error.url} ({error.reason}). "
            "Check the URL and that the server is running."
        )
    if isinstance(error, ProtocolError):
        return f"{server} does not answer like a Patchbay server ({error})."
    if isinstance(error, InsufficientCredits):
        return (
            f"Not enough credits on {server}: this needs {error.required:g}, "
            f"{error.available:g} available."
        )
    if isinstance(error, RateLimited):
        return f"{server} is rate limiting this account: try again in {error.retry_after:.0f} s."
    if isinstance(error, InvalidRequest) and error.violations:
        problems = "; ".join(v.message for v in error.violations[:3])
        more = len(error.violations) - 3
        return f"{server} refused the workflow: {problems}" + (
            f" (+{more} more)" if more > 0 else ""
        )
    if isinstance(error, NotFoundError):
        return f"{server}: {error.message}"
    if isinstance(error, ApiError):
        return f"{server} answered {error.status}: {error.message}"
    return f"{server}: {error}"
