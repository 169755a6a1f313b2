"""Delivering a run's final record to its ``callbackUrl``.

The body is the full record (as ``GET /api/v1/workflows/executions/{id}`` shows it),
signed with the account's callback signing secret (see :mod:`engine.server.signing`)
and sent with ``Patchbay-Event: execution.<status>`` and a ``Patchbay-Delivery`` id.
A delivery that fails (connection error, timeout, non-2xx) is retried with
exponential backoff and jitter up to ``max_attempts``; the state is stored with the
execution, so a delivery a restart interrupted is resumed at startup.

Where callbacks may go is the operator's decision (``[callbacks]`` in the config):
only http(s); only the listed hosts when ``allowed_hosts`` is set; and never a
loopback, private, link-local or otherwise non-public address unless allowed. The
host is resolved and every address checked right before each attempt, and
redirects are not followed, so a URL cannot be bounced to an internal service.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import random
import socket
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from engine.server.settings import CallbackPolicy
from engine.server.signing import SIGNATURE_HEADER, sign
from engine.server.storage import CallbackState, Storage, StoredExecution

log = logging.getLogger("engine.server.callbacks")


class CallbackRefused(Exception):
    """The URL points somewhere the operator has not allowed."""


def check_callback_url(url: str, policy: CallbackPolicy) -> None:
    """Refuse, before a run starts, a URL that can never be delivered to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused("callbackUrl must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise CallbackRefused("callbackUrl must not carry credentials")
    host = parts.hostname.lower()
    if policy.allowed_hosts and host not in {h.lower() for h in policy.allowed_hosts}:
        raise CallbackRefused(f"callbacks to {host} are not allowed by this server")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        _check_address(literal, policy)
    if (host == "localhost" or host.endswith(".localhost")) and not policy.allow_loopback:
        raise CallbackRefused("callbacks to loopback addresses are not allowed")


def _check_address(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, policy: CallbackPolicy
) -> None:
    if address.is_loopback:
        if not policy.allow_loopback:
            raise CallbackRefused("callbacks to loopback addresses are not allowed")
        return
    non_public = (
        address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    if non_public and not policy.allow_private:
        raise CallbackRefused(f"callbacks to non-public addresses ({address}) are not allowed")


async def resolve_and_check(url: str, policy: CallbackPolicy) -> None:
    """Check the URL and every address its host resolves to."""
    check_callback_url(url, policy)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise CallbackRefused(f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        _check_address(ipaddress.ip_address(info[4][0]), policy)


class CallbackDispatcher:
    """Sends callbacks in background tasks and records their outcome."""

    def __init__(
        self,
        storage: Storage,
        policy: CallbackPolicy,
        payload: Callable[[StoredExecution], dict[str, Any]],
    ) -> None:
        self.storage = storage
        self.policy = policy
        self.payload = payload
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, execution_id: str) -> None:
        """Deliver the callback of a finished execution (no-op without one)."""
        task = asyncio.get_running_loop().create_task(self._deliver(execution_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def resume_pending(self) -> None:
        """Start the deliveries a restart interrupted."""
        for execution in self.storage.pending_callbacks():
            self.schedule(execution.id)

    async def close(self) -> None:
        """Stop pending deliveries (they resume at the next start) and the client."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for deliveries in progress."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.policy.timeout_s, follow_redirects=False, trust_env=False
            )
        return self._client

    async def _deliver(self, execution_id: str) -> None:
        execution = self.storage.load_execution(execution_id)
        if (
            execution is None
            or not execution.callback_url
            or execution.callback_state is not CallbackState.PENDING
        ):
            return
        url = execution.callback_url
        body = json.dumps(self.payload(execution), separators=(",", ":")).encode("utf-8")
        account = self.storage.get_account(execution.account_id)
        secret = account.callback_secret if account else ""
        delivery = f"dlv_{uuid.uuid4().hex}"
        attempts = execution.callback_attempts
        policy = self.policy
        while attempts < policy.max_attempts:
            attempts += 1
            try:
                await resolve_and_check(url, policy)
            except CallbackRefused as exc:
                log.warning("callback of %s refused: %s", execution_id, exc)
                self.storage.set_callback_state(execution_id, CallbackState.FAILED, attempts)
                return
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Patchbay-Callback/1",
                SIGNATURE_HEADER: sign(secret, body),
                "Patchbay-Event": f"execution.{execution.status.lower()}",
                "Patchbay-Delivery": delivery,
                "Patchbay-Attempt": str(attempts),
            }
            try:
                response = await self._http().post(url, content=body, headers=headers)
                delivered = 200 <= response.status_code < 300
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                delivered = False
                reason = f"{type(exc).__name__}: {exc}"
            if delivered:
                self.storage.set_callback_state(execution_id, CallbackState.DELIVERED, attempts)
                return
            log.info("callback of %s attempt %d failed: %s", execution_id, attempts, reason)
            if attempts >= policy.max_attempts:
                break
            self.storage.set_callback_state(execution_id, CallbackState.PENDING, attempts)
            delay = min(policy.initial_backoff_s * 2 ** (attempts - 1), policy.max_backoff_s)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
        self.storage.set_callback_state(execution_id, CallbackState.FAILED, attempts)
