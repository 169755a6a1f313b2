"""The interface every provider adapter implements, and the machinery they share.

An adapter subclasses :class:`Provider`, sets ``name``, ``credential`` and
``default_base_url``, overrides :meth:`Provider.auth_headers`, and implements
:meth:`Provider.run` with the building blocks here:

- :meth:`Provider.arguments` — request fields from the node's params and inputs
  (``provider_options`` mapping; media inputs as data URIs, see
  :mod:`engine.providers.media`);
- :meth:`Provider.request` / :meth:`Provider.request_json` — one HTTP call, auth
  headers added only for the provider's own origin, every failure mapped to
  :class:`~engine.errors.TransientNodeError` / :class:`~engine.errors.PermanentNodeError`
  with the key redacted (:mod:`engine.providers.http`);
- :meth:`Provider.poll` — status polling with exponential backoff
  (:class:`~engine.providers.http.PollPolicy`), tolerating a few transient poll
  failures;
- :meth:`Provider.cancel_on_abort` — forwards an ``asyncio.CancelledError`` to the
  provider's cancel endpoint, then re-raises it;
- :meth:`Provider.outputs` — output ports from the result document
  (``output_paths``), media downloaded into ``ctx.artifacts``;
- :class:`Progress` — monotonic ``ctx.report_progress`` without repeats.

The base URL is, in order: the ``base_url`` argument, the environment variable
``PATCHBAY_<NAME>_BASE_URL`` (tests, self-hosting, proxies), ``default_base_url``.
Use a provider as an async context manager (it closes the HTTP client it made).
:func:`engine.providers.hosted.make_hosted_node` constructs adapters with
``api_key=`` and ``poll=`` keywords; an adapter that overrides ``__init__`` must
accept the base class's keyword arguments and pass them on.

The key lives in the private ``_api_key`` and reaches the wire only through
:meth:`Provider.auth_headers`, and only for URLs on the base URL's origin (httpx
also drops ``Authorization`` on cross-origin redirects). Every message built from
a provider response goes through :attr:`Provider.redact`; HTTP library exceptions
are never chained to the errors raised (their requests hold the headers).
"""

from __future__ import annotations

import abc
import asyncio
import functools
import logging
import os
import re
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx

from engine.catalog.spec import NodeSpec, PortSpec, PortType
from engine.errors import NodeError, PermanentNodeError, TransientNodeError
from engine.nodes.base import NodeContext
from engine.providers.http import (
    PollPolicy,
    Redactor,
    error_for_status,
    error_for_transport,
    read_json,
)
from engine.providers.mapping import build_arguments, collect_outputs
from engine.providers.media import (
    MediaRef,
    check_inline_size,
    data_uri,
    download,
    media_ref,
    store_media,
)
from engine.values import Artifact

__all__ = ["Progress", "Provider", "ProviderCall", "progress_from_logs"]

_log = logging.getLogger("engine.providers")
T = TypeVar("T")
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_STEPS = re.compile(r"\b(\d+)\s*/\s*(\d+)\b")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~0.1 s; every provider client shares one context.
    return httpx.create_ssl_context()


@dataclass(frozen=True, slots=True)
class ProviderCall:
    """One run of a hosted node: its spec, resolved params, inputs and context."""

    spec: NodeSpec
    params: Mapping[str, Any]
    inputs: Mapping[str, Any]
    ctx: NodeContext


def progress_from_logs(lines: Iterable[str]) -> float | None:
    """The latest progress fraction in log lines (``45%`` or tqdm's ``9/20``), if any."""
    for line in reversed(list(lines)):
        percent = _PERCENT.findall(line)
        if percent:
            return min(float(percent[-1]) / 100.0, 1.0)
        steps = _STEPS.findall(line)
        if steps:
            done, total = (int(n) for n in steps[-1])
            if total and done <= total:
                return done / total
    return None


class Progress:
    """Reports progress to ``ctx.report_progress``: never backwards, never repeated."""

    def __init__(self, ctx: NodeContext, redact: Redactor) -> None:
        self._ctx = ctx
        self._redact = redact
        self.fraction = 0.0
        self.message: str | None = None

    def __call__(self, fraction: float | None, message: str | None = None) -> None:
        """Report ``fraction`` (``None``: unchanged) with an optional status message."""
        value = self.fraction if fraction is None else min(max(fraction, self.fraction), 1.0)
        text = self._redact(message)[:200] if message else None
        if value == self.fraction and text == self.message:
            return
        self.fraction, self.message = value, text
        self._ctx.report_progress(value, text)


class Provider(abc.ABC):
    """A hosted-model provider adapter (see the module docstring)."""

    #: Registry name, also ``NodeSpec.provider`` (``"fal"``).
    name: ClassVar[str]
    #: Name shown in messages (``"Replicate"``); defaults to ``name``.
    label: ClassVar[str] = ""
    #: Credential reference looked up by :func:`engine.credentials.lookup_credential`.
    credential: ClassVar[str | None] = None
    #: Whether a run without a key must fail (local servers may not need one).
    key_required: ClassVar[bool] = True
    default_base_url: ClassVar[str]
    #: Media inputs up to this many bytes are sent inline as data URIs.
    inline_input_limit: ClassVar[int] = 10 * 1024 * 1024
    #: Largest output file downloaded into the artifact store.
    download_limit: ClassVar[int] = 1024 * 1024 * 1024
    timeout: ClassVar[httpx.Timeout] = httpx.Timeout(60.0, connect=15.0)
    #: Seconds allowed for the cancel request when a run is cancelled.
    cancel_timeout_s: ClassVar[float] = 10.0
    #: Result paths tried, in order, for an output port without ``output_paths``.
    default_output_paths: ClassVar[Mapping[PortType, tuple[str, ...]]] = {}

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        poll: PollPolicy | None = None,
        download_limit: int | None = None,
    ) -> None:
        self._api_key = api_key or None
        env = os.environ.get(self.base_url_variable(), "").strip()
        self.base_url = (base_url or env or self.default_base_url).rstrip("/")
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=True, verify=_ssl_context()
        )
        self.poll_policy = poll or PollPolicy()
        self.max_download = download_limit or type(self).download_limit
        self.redact = Redactor([api_key])

    # -- configuration ------------------------------------------------------------

    @classmethod
    def base_url_variable(cls) -> str:
        """The environment variable overriding the base URL (``PATCHBAY_FAL_BASE_URL``)."""
        return f"PATCHBAY_{re.sub(r'[^A-Z0-9]', '_', cls.name.upper())}_BASE_URL"

    @property
    def display(self) -> str:
        """The provider's name in messages."""
        return self.label or self.name

    @property
    def api_key(self) -> str | None:
        """The key (for :meth:`auth_headers` only; never put it anywhere else)."""
        return self._api_key

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request to the provider's own origin."""
        return {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client when this provider created it."""
        if self._owns_client:
            await self.client.aclose()

    # -- URLs -----------------------------------------------------------------------

    def url(self, path: str) -> str:
        """``path`` under the base URL (an absolute URL is returned as is)."""
        if urlsplit(path).scheme:
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def same_origin(self, url: str) -> bool:
        """Whether ``url`` is on the base URL's scheme, host and port."""
        a, b = urlsplit(self.base_url), urlsplit(urljoin(self.base_url + "/", url))
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)

    def follow(self, candidate: object, fallback_path: str) -> str:
        """A URL the provider returned, if it is on its own origin; else ``fallback_path``.

        Keeps the key from being sent anywhere a response points to.
        """
        if isinstance(candidate, str) and candidate and self.same_origin(candidate):
            return self.url(candidate)
        return self.url(fallback_path)

    # -- HTTP -----------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        details: Mapping[str, object] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request; HTTP and transport failures become engine errors."""
        target = self.url(url)
        sent = {**(self.auth_headers() if self.same_origin(target) else {}), **(headers or {})}
        failure: NodeError | None = None
        try:
            response = await self.client.request(method, target, headers=sent, **kwargs)
        except httpx.TransportError as exc:
            failure = error_for_transport(exc, provider=self.display, redact=self.redact)
        if failure is not None:  # raised outside the handler: the httpx error (and the
            raise failure  # request, with its auth header) is not chained to it
        if response.status_code >= 400:
            raise self.error_for_response(response, details)
        return response

    def error_for_response(
        self, response: httpx.Response, details: Mapping[str, object] | None = None
    ) -> NodeError:
        """The engine error for an HTTP error response (adapters refine this)."""
        return error_for_status(
            response,
            provider=self.display,
            redact=self.redact,
            credential=self.credential,
            details={**(details or {}), "provider": self.name},
        )

    async def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """:meth:`request`, returning the JSON body (non-JSON is a permanent error)."""
        return self.json_body(await self.request(method, url, **kwargs))

    def json_body(self, response: httpx.Response) -> Any:
        """The JSON body of a successful response, or a clear permanent error."""
        body = read_json(response)
        if body is None or isinstance(body, str):
            snippet = self.redact(body or "")[:80]
            kind = response.headers.get("content-type", "no content type")
            raise PermanentNodeError(
                f"{self.display} sent a malformed response (HTTP {response.status_code}, "
                f"{kind}): expected JSON, got {snippet!r}",
                details={"provider": self.name, "code": "malformed_response"},
            )
        return body

    def field(self, body: Any, key: str, kind: type[T], what: str = "response") -> T:
        """``body[key]`` of type ``kind``, or a permanent "malformed response" error."""
        value = body.get(key) if isinstance(body, Mapping) else None
        if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            raise PermanentNodeError(
                f"{self.display} sent a malformed {what}: no {kind.__name__} field {key!r}",
                details={"provider": self.name, "code": "malformed_response"},
            )
        return value

    # -- asynchronous jobs -------------------------------------------------------------

    async def poll(self, fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool]) -> T:
        """Call ``fetch`` until ``done(state)``, backing off between calls."""
        failures = 0
        for delay in self.poll_policy.delays():
            try:
                state = await fetch()
            except TransientNodeError as exc:
                failures += 1
                if failures > self.poll_policy.max_poll_errors:
                    raise
                _log.info("%s status poll failed (%s); retrying", self.name, exc.message)
                await asyncio.sleep(max(delay, exc.retry_after or 0.0))
                continue
            failures = 0
            if done(state):
                return state
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: poll delays are endless")

    async def cancel_on_abort(
        self, work: Awaitable[T], cancel: Callable[[], Awaitable[object]], *, job: str
    ) -> T:
        """Await ``work``; if the run is cancelled, call ``cancel`` first, then re-raise."""
        try:
            return await work
        except asyncio.CancelledError:
            _log.info("run cancelled: cancelling %s job %s", self.name, job)
            try:
                await asyncio.wait_for(cancel(), self.cancel_timeout_s)
            except (NodeError, TimeoutError) as exc:
                _log.warning("could not cancel %s job %s: %s", self.name, job, exc)
            raise

    # -- request and response mapping -------------------------------------------------

    async def arguments(self, call: ProviderCall) -> dict[str, Any]:
        """The provider request fields for ``call`` (see :mod:`engine.providers.mapping`)."""

        async def encode(port: PortSpec, value: Any) -> Any:
            return await self.encode_input(call, port, value)

        return await build_arguments(call.spec, call.params, call.inputs, encode)

    async def encode_input(self, call: ProviderCall, port: PortSpec, value: Any) -> Any:
        """A media input value as the provider takes it (data URI or URL)."""
        if isinstance(value, list | tuple):
            return [await self.encode_input(call, port, item) for item in value]
        if isinstance(value, str):
            return value  # already a URL or a data URI
        if not isinstance(value, Artifact):
            raise PermanentNodeError(
                f"input {port.name!r} expects {port.type.value}, got {type(value).__name__}",
                details={"code": "invalid_input", "port": port.name},
            )
        if value.size <= self.inline_input_limit:
            data = await asyncio.to_thread(call.ctx.artifacts.read_bytes, value)
            return data_uri(data, value.media_type)
        source = value.metadata.get("sourceUrl")
        if isinstance(source, str) and source.startswith("https://"):
            return source  # the provider can fetch the file it (or another) served
        check_inline_size(value.size, limit=self.inline_input_limit, port=port, provider=self.name)
        raise AssertionError("unreachable: check_inline_size raises")

    async def outputs(self, call: ProviderCall, result: Any) -> dict[str, Any]:
        """Output values from the provider's result document, media stored as artifacts."""

        async def store(port: PortSpec, value: Any) -> Artifact:
            return await self.store_output(call, port, value)

        return await collect_outputs(call.spec, result, self.default_output_paths, store)

    async def store_output(self, call: ProviderCall, port: PortSpec, value: Any) -> Artifact:
        """Download one media output (URL, data URI or file object) into the store."""
        ref = media_ref(value)
        headers = self.auth_headers() if self.same_origin(ref.url) else {}
        data, content_type = await download(
            self.client,
            ref.url,
            limit=self.max_download,
            provider=self.display,
            redact=self.redact,
            headers=headers,
        )
        metadata = {"provider": self.name, "model": call.spec.model_id}
        return await asyncio.to_thread(
            store_media, call.ctx, port, data, ref, content_type=content_type, metadata=metadata
        )

    async def store_bytes(
        self,
        call: ProviderCall,
        port: PortSpec,
        data: bytes,
        *,
        media_type: str | None,
        filename: str | None = None,
    ) -> Artifact:
        """Store media the provider sent in the response body itself (audio bytes, base64)."""
        ref = MediaRef(url=f"inline:{filename or port.name}", filename=filename)
        metadata = {"provider": self.name, "model": call.spec.model_id}
        return await asyncio.to_thread(
            store_media, call.ctx, port, data, ref, content_type=media_type, metadata=metadata
        )

    def progress(self, call: ProviderCall) -> Progress:
        """A progress reporter for ``call``."""
        return Progress(call.ctx, self.redact)

    # -- the adapter ----------------------------------------------------------------------

    @abc.abstractmethod
    async def run(self, call: ProviderCall) -> dict[str, Any]:
        """Run the model once; outputs by port name (media as stored artifacts)."""
