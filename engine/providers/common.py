"""Helpers shared by the OpenAI-compatible, ComfyUI, ElevenLabs and Google adapters.

- :class:`ServerProvider`: an adapter whose server can be chosen per node — a
  local OpenAI-compatible server (Ollama, LM Studio), a ComfyUI box — and which
  decides, per run, where requests go and whether the API key may go with them.
- Small codecs: base64 media (:func:`decode_base64`), raw PCM to WAV
  (:func:`pcm_to_wav`), Go/protobuf durations (:func:`parse_duration`).
- :func:`usable_params` and :func:`consumed` adapt a node's params and
  ``provider_options`` before :meth:`Provider.arguments` maps them.

Where a run's server comes from (first match wins):

1. the workflow parameter named by ``provider_options["base_url_param"]``, when
   it holds something other than the parameter's declared default;
2. ``provider_options["base_url"]`` (catalog data: a fixed service such as
   Anthropic's OpenAI-compatible endpoint);
3. the constructor's ``base_url`` or ``PATCHBAY_<NAME>_BASE_URL``;
4. the declared default of the ``base_url_param`` parameter (catalog data);
5. the adapter's ``default_base_url``.

``provider_options["label"]`` names the service in messages (``"Anthropic"``).
Which key goes with it: ``provider_options["credential"]`` names the credential
reference (``null``: none at all); entries marked ``"self_hosted": true`` do not
use a hosted service's key (``OPENAI_API_KEY``) unless one is named;
``provider_options["credential_param"]`` names a parameter whose (non-empty) value
is the reference to use. Whatever the reference, **a key is only sent to a
trusted origin**: the origin of a URL from steps 2 to 5, never one typed into a
workflow (a shared workflow file must not be able to send the user's key elsewhere).
A key is required unless ``"key_required": false``, the entry is self-hosted, or
the server is on the loopback interface (and not an entry's own ``base_url``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from engine.catalog.spec import NodeSpec
from engine.credentials import lookup_credential
from engine.errors import PermanentNodeError
from engine.providers.base import Provider, ProviderCall
from engine.providers.http import MAX_RETRY_AFTER_S, PollPolicy, Redactor

__all__ = [
    "ServerProvider",
    "Target",
    "consumed",
    "decode_base64",
    "is_loopback",
    "origin",
    "parse_duration",
    "pcm_to_wav",
    "usable_params",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of ``url``, the port defaulted by scheme."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme, 0)


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _refuse_internal(url: str, provider: str) -> None:
    """On a server (a confined run), a server address typed into a workflow must be
    public: no loopback, private, link-local or otherwise internal address, so a
    workflow cannot make the server call its own network. Servers the operator
    configures (``PATCHBAY_<NAME>_BASE_URL``) are not typed into workflows and may be
    internal. The name is resolved here; a host whose DNS answer changes between this
    check and the request (DNS rebinding) is not covered."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    except (OSError, ValueError):
        addresses = set()  # unresolvable: the request fails on its own, with its message
    internal = sorted(
        str(a) for a in addresses if not a.is_global or a.is_multicast or a.is_reserved
    )
    if internal:
        raise PermanentNodeError(
            f"this server does not call internal addresses typed into a workflow "
            f"({host} is {internal[0]}); ask the operator to configure that server instead",
            details={"code": "internal_address", "provider": provider, "host": host},
        )


def usable_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` without empty values: an empty text field means "not set"."""
    return {k: v for k, v in params.items() if v is not None and v != ""}


def consumed(spec: NodeSpec, names: Iterable[str]) -> NodeSpec:
    """``spec`` with the params/ports ``names`` never sent as request fields.

    For values an adapter places itself (a voice id in the URL, chat messages, a
    server address); an explicit mapping in ``provider_options`` still wins.
    """
    options = dict(spec.provider_options)
    param_fields = dict(options.get("param_fields") or {})
    input_fields = dict(options.get("input_fields") or {})
    for name in names:
        if spec.param(name) is not None:
            param_fields.setdefault(name, None)
        if spec.input(name) is not None:
            input_fields.setdefault(name, None)
    options["param_fields"], options["input_fields"] = param_fields, input_fields
    return spec.model_copy(update={"provider_options": options})


def decode_base64(text: str, *, limit: int, what: str = "output") -> bytes:
    """The bytes of a base64 string (standard or URL-safe alphabet), at most ``limit``."""
    compact = "".join(text.split())
    if len(compact) * 3 // 4 > limit:
        raise PermanentNodeError(f"the provider's inline {what} is larger than {limit} bytes")
    padded = compact + "=" * (-len(compact) % 4)
    try:
        if "-" in compact or "_" in compact:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise PermanentNodeError(
            f"the provider returned an {what} that is neither a URL nor base64 data",
            details={"code": "malformed_response"},
        ) from None


def pcm_to_wav(data: bytes, *, rate: int, channels: int = 1, sample_width: int = 2) -> bytes:
    """Raw little-endian PCM samples wrapped in a WAV header (RIFF, format 1)."""
    block = channels * sample_width
    usable = len(data) - len(data) % block
    header = b"RIFF" + struct.pack("<I", 36 + usable) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, sample_width * 8)
    return header + b"data" + struct.pack("<I", usable) + data[:usable]


def parse_duration(text: str | None) -> float | None:
    """Seconds in ``"38s"``, ``"1.5s"``, ``"6m0s"``, ``"20ms"`` (Go and protobuf style)."""
    if not text or not isinstance(text, str):
        return None
    compact = text.strip().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        return None
    seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    return min(seconds, MAX_RETRY_AFTER_S)


@dataclass(frozen=True, slots=True)
class Target:
    """Where one run's requests go, and whether the key may go with them."""

    base_url: str
    trusted: bool
    from_workflow: bool


class ServerProvider(Provider):
    """A :class:`Provider` whose server and key are chosen per run (module docstring).

    ``key_required`` is ``False`` so :func:`~engine.providers.hosted.make_hosted_node`
    lets a run without a key through; :meth:`prepare` then requires one when
    ``needs_key`` says so and the run goes to a remote, non-self-hosted server.
    """

    key_required = False
    #: Whether a run against a remote server needs a key (unless the entry says not).
    needs_key: ClassVar[bool] = True
    #: Whether ``credential`` is the key of a self-hosted server (ComfyUI behind a
    #: proxy) rather than of a hosted service (OpenAI), so self-hosted entries use it.
    credential_for_own_server: ClassVar[bool] = False

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        poll: PollPolicy | None = None,
        download_limit: int | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            client=client,
            poll=poll,
            download_limit=download_limit,
        )
        #: Whether the base URL was configured (argument or environment variable).
        self.configured = bool(base_url) or self.base_url != self.default_base_url.rstrip("/")
        self.reference: str | None = self.credential
        self._given_key = self._api_key
        self.target = Target(self.base_url, trusted=True, from_workflow=False)
        #: ``provider_options["label"]``: the service's name in messages ("Anthropic").
        self.entry_label: str | None = None
        self._key_allowed = True

    def key_headers(self, key: str) -> dict[str, str]:
        """The headers carrying ``key`` (adapters override this, not auth_headers)."""
        return {"Authorization": f"Bearer {key}"}

    def auth_headers(self) -> dict[str, str]:
        key = self.api_key
        return self.key_headers(key) if key and self._key_allowed else {}

    @property
    def key_sent(self) -> bool:
        """Whether requests of this run carry a key."""
        return bool(self.api_key and self._key_allowed)

    # -- choosing the server and key for a run ----------------------------------------

    async def prepare(self, call: ProviderCall) -> None:
        """Point this provider at the run's server and pick its key (module docstring)."""
        self.entry_label = _text(call.spec.provider_options.get("label"))
        self.target = self._resolve_target(call)
        if call.ctx.confined and self.target.from_workflow:
            await _refuse_internal(self.target.base_url, self.name)
        self.base_url = self.target.base_url
        await self._choose_key(call)
        self._key_allowed = self.target.trusted
        if self._key_required(call) and not self.key_sent:
            from engine.providers.hosted import missing_key_message

            reference = self.reference or self.credential or "an API key"
            raise PermanentNodeError(
                missing_key_message(self.service_name, reference),
                details={
                    "code": "missing_credential",
                    "provider": self.name,
                    "credential": reference,
                },
            )

    @property
    def service_name(self) -> str:
        """Who a message is about: the entry's label, the adapter's, or the server's host."""
        if self.entry_label:
            return self.entry_label
        if origin(self.base_url) == origin(self.default_base_url):
            return self.label or self.name
        return urlsplit(self.base_url).netloc

    def _resolve_target(self, call: ProviderCall) -> Target:
        options = call.spec.provider_options
        catalog_url = _text(options.get("base_url"))
        param_name = _text(options.get("base_url_param"))
        param = call.spec.param(param_name) if param_name else None
        declared = _text(param.default) if param is not None else None
        chosen = _text(call.params.get(param_name)) if param_name else None
        trusted = {origin(u) for u in (self.base_url, catalog_url, declared) if u}
        if chosen and chosen.rstrip("/") != (declared or "").rstrip("/"):
            url = self._checked(chosen, param_name or "base_url")
            return Target(url, trusted=origin(url) in trusted, from_workflow=True)
        if catalog_url:
            return Target(self._checked(catalog_url, "base_url"), True, False)
        if self.configured or not declared:
            return Target(self.base_url, True, False)
        return Target(self._checked(declared, param_name or "base_url"), True, False)

    def _checked(self, url: str, field: str) -> str:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise PermanentNodeError(
                f"{field} must be an http:// or https:// address like "
                f"{self.default_base_url}, got {url[:80]!r}",
                details={"code": "invalid_param", "param": field, "provider": self.name},
            )
        if parts.username or parts.password:
            raise PermanentNodeError(
                f"{field} must not contain a user name or password; store the server's key "
                "as a credential instead",
                details={"code": "invalid_param", "param": field, "provider": self.name},
            )
        return url.strip().rstrip("/")

    async def _choose_key(self, call: ProviderCall) -> None:
        options = call.spec.provider_options
        hosted_reference = _text(options.get("credential")) or self.credential
        if "credential" in options and options["credential"] is None:
            reference = None
        elif "credential" in options:
            reference = hosted_reference
        else:
            own = type(self).credential_for_own_server
            reference = None if options.get("self_hosted") and not own else self.credential
        param_name = _text(options.get("credential_param"))
        named = _text(call.params.get(param_name)) if param_name else None
        if named:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", named):
                raise PermanentNodeError(
                    f"parameter {param_name!r} names the environment variable or keyring "
                    "entry holding the key (like LMSTUDIO_API_KEY); it must not hold the key "
                    "itself",
                    details={"code": "invalid_param", "param": param_name},
                )
            reference = named
        self.reference = reference
        if reference is None:
            self._api_key = None
        elif reference != hosted_reference or self._api_key is None:
            self._api_key = await asyncio.to_thread(lookup_credential, reference)
        self.redact = Redactor([self._given_key, self._api_key])

    def _key_required(self, call: ProviderCall) -> bool:
        options = call.spec.provider_options
        if options.get("key_required") is False or options.get("self_hosted"):
            return False
        if "credential" in options and options["credential"] is None:
            return False
        # A local server (PATCHBAY_OPENAI_BASE_URL=http://localhost:11434/v1) needs no key;
        # an entry for a fixed service (its own base_url) always does.
        local = is_loopback(self.base_url) and not options.get("base_url")
        return type(self).needs_key and not local

    def withheld_key_hint(self) -> str:
        """A hint for a 401/403 when a key exists but was not sent to this server."""
        if self.api_key and not self._key_allowed:
            variable = self.base_url_variable()
            return (
                f" (the key is not sent to a server address typed into the workflow; "
                f"set {variable} to that address to trust it)"
            )
        return ""


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
