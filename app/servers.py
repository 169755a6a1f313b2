"""Patchbay servers the user added, their API keys, and a document's link to one.

:class:`ServerStore` keeps each server's name and URL in ``QSettings`` and its API
key in the OS keyring only (service ``"patchbay-server"``, username = the
normalised URL). When no keyring backend can store secrets (none installed, a
locked or refusing one, ``PATCHBAY_DISABLE_KEYRING=1``), the key is kept in memory
for this session and :meth:`ServerStore.key_storage` says
:attr:`KeyStorage.SESSION`, so the servers dialog can tell the user. The key is
never written to ``QSettings``, a file, a log line or an exception message.

A document published to (or opened from) a server remembers the server workflow in
its metadata under ``"server"`` (:class:`ServerLink`); :func:`graph_fingerprint`
tells whether the graph changed since it was published.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import weakref
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from PySide6.QtCore import QObject, QSettings, Signal

from app.settings import StudioSettings
from engine.credentials import keyring_disabled
from engine.workflow import Workflow

__all__ = [
    "KEYRING_SERVICE",
    "KeyStorage",
    "ServerLink",
    "ServerProfile",
    "ServerStore",
    "graph_fingerprint",
    "normalise_url",
    "server_link",
]

#: The keyring service under which server API keys are stored.
KEYRING_SERVICE = "patchbay-server"
#: The environment variable whose key wins over any stored one (scripts, CI).
API_KEY_ENV = "PATCHBAY_API_KEY"
#: The workflow metadata entry that links a document to a server workflow.
LINK_KEY = "server"

_log = logging.getLogger(__name__)
# Keys that could only be kept for this session, shared by every window of the process.
_session_keys: dict[str, str] = {}
_stores: weakref.WeakSet[ServerStore] = weakref.WeakSet()


@dataclass(frozen=True)
class ServerProfile:
    """A server as the user named it: ``url`` is normalised (no trailing slash)."""

    name: str
    url: str


class KeyStorage(StrEnum):
    """Where an API key ended up."""

    KEYRING = "keyring"
    SESSION = "session"


def normalise_url(url: str) -> str:
    """``" HTTP://Host:8000/api/v1/ "`` -> ``"http://host:8000"``.

    A URL without a scheme gets ``https://``. Raises :class:`ValueError` (with a
    message for the user) when it is not an http(s) URL with a host.
    """
    text = url.strip()
    if not text:
        raise ValueError("Enter the server's URL, e.g. https://patchbay.example.com")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url.strip()!r} is not an http(s) URL with a host name")
    if parts.username or parts.password:
        raise ValueError("The server URL must not contain a user name or password")
    path = parts.path.rstrip("/")
    if path.endswith("/api/v1"):
        path = path[: -len("/api/v1")]
    netloc = parts.netloc.lower()
    return urlunsplit((scheme, netloc, path.rstrip("/"), "", ""))


class ServerStore(QObject):
    """Servers the user added: URL and name in QSettings, API keys in the OS keyring only.

    When no keyring backend can store secrets, keys are kept in memory for this
    session and :meth:`key_storage` says :attr:`KeyStorage.SESSION` (the servers
    dialog tells the user). Every store of the process sees the same servers and
    emits :attr:`changed` when any of them adds or removes one.
    """

    changed = Signal()

    def __init__(
        self, settings: StudioSettings | QSettings | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = (
            settings if isinstance(settings, StudioSettings) else StudioSettings(settings)
        )
        _stores.add(self)

    def profiles(self) -> list[ServerProfile]:
        """The servers, in the order they were added."""
        return [ServerProfile(name, url) for name, url in self._settings.server_profiles()]

    def profile(self, url: str) -> ServerProfile | None:
        """The server with this URL (normalised before comparing), if added."""
        try:
            wanted = normalise_url(url)
        except ValueError:
            return None
        return next((p for p in self.profiles() if p.url == wanted), None)

    def add(self, profile: ServerProfile, api_key: str) -> KeyStorage:
        """Add ``profile`` (replacing one with the same URL) and store its key.

        Returns where the key went: the OS keyring, or this session only.
        """
        url = normalise_url(profile.url)
        key = api_key.strip()
        if not key:
            raise ValueError("Enter the API key for this server")
        name = profile.name.strip() or (urlsplit(url).netloc or url)
        storage = _keyring_store(url, key)
        if storage is KeyStorage.SESSION:
            _session_keys[url] = key
        else:
            _session_keys.pop(url, None)
        rows = [(n, u) for n, u in self._settings.server_profiles() if u != url]
        rows.append((name, url))
        self._settings.set_server_profiles(rows)
        _notify()
        return storage

    def remove(self, url: str) -> None:
        """Forget the server and delete its key (from the keyring and the session)."""
        try:
            url = normalise_url(url)
        except ValueError:
            return
        _session_keys.pop(url, None)
        _keyring_delete(url)
        rows = [(n, u) for n, u in self._settings.server_profiles() if u != url]
        self._settings.set_server_profiles(rows)
        _notify()

    def api_key(self, url: str) -> str | None:
        """The key for ``url``: ``PATCHBAY_API_KEY`` wins, then the keyring, then the session."""
        env = os.environ.get(API_KEY_ENV, "").strip()
        if env:
            return env
        try:
            url = normalise_url(url)
        except ValueError:
            return None
        stored = _keyring_get(url)
        return stored if stored is not None else _session_keys.get(url)

    def key_storage(self, url: str) -> KeyStorage | None:
        """Where the stored key for ``url`` is (``None``: no key stored)."""
        try:
            url = normalise_url(url)
        except ValueError:
            return None
        if url in _session_keys:
            return KeyStorage.SESSION
        return KeyStorage.KEYRING if _keyring_get(url) is not None else None


def _notify() -> None:
    for store in list(_stores):
        try:
            store.changed.emit()
        except RuntimeError:  # a closed window's store: its C++ half is gone
            _stores.discard(store)


def _keyring_usable() -> bool:
    """Whether the active backend may hold secrets (not disabled, not a plain-text file)."""
    if keyring_disabled():
        return False
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception as exc:
        _log.debug("no keyring backend: %s", type(exc).__name__)
        return False
    return "plaintext" not in type(backend).__name__.lower()


def _keyring_store(url: str, key: str) -> KeyStorage:
    if not _keyring_usable():
        return KeyStorage.SESSION
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, url, key)
        # Some backends (the null one) accept a password and keep nothing: read it back.
        stored = keyring.get_password(KEYRING_SERVICE, url)
    except Exception as exc:
        _log.info("keyring could not store the key for %s: %s", url, type(exc).__name__)
        return KeyStorage.SESSION
    return KeyStorage.KEYRING if stored == key else KeyStorage.SESSION


def _keyring_get(url: str) -> str | None:
    if not _keyring_usable():
        return None
    try:
        import keyring

        secret = keyring.get_password(KEYRING_SERVICE, url)
    except Exception as exc:
        _log.debug("keyring lookup for %s failed: %s", url, type(exc).__name__)
        return None
    return secret.strip() if isinstance(secret, str) and secret.strip() else None


def _keyring_delete(url: str) -> None:
    if not _keyring_usable():
        return
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, url)
    except Exception as exc:  # absent, or a backend failure: nothing more to do
        _log.debug("keyring delete for %s failed: %s", url, type(exc).__name__)


# -- the document's link to a server workflow ---------------------------------------


@dataclass(frozen=True)
class ServerLink:
    """Which server workflow a document is linked to, and what was published."""

    url: str
    workflow_id: str
    published_version: int | None = None
    published_fingerprint: str | None = None
    webhook_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The metadata entry, in the file's camelCase spelling."""
        return {
            "url": self.url,
            "workflowId": self.workflow_id,
            "publishedVersion": self.published_version,
            "publishedFingerprint": self.published_fingerprint,
            "webhookUrl": self.webhook_url,
        }

    @classmethod
    def from_json(cls, value: object) -> ServerLink | None:
        """The link stored in metadata, or ``None`` when absent or malformed."""
        if not isinstance(value, dict):
            return None
        url, workflow_id = value.get("url"), value.get("workflowId")
        if not isinstance(url, str) or not url or not isinstance(workflow_id, str):
            return None
        version = value.get("publishedVersion")
        fingerprint = value.get("publishedFingerprint")
        webhook = value.get("webhookUrl")
        return cls(
            url=url,
            workflow_id=workflow_id,
            published_version=version if isinstance(version, int) else None,
            published_fingerprint=fingerprint if isinstance(fingerprint, str) else None,
            webhook_url=webhook if isinstance(webhook, str) and webhook else None,
        )

    @property
    def published(self) -> bool:
        """Whether the link records a live webhook."""
        return self.webhook_url is not None


def server_link(workflow: Workflow) -> ServerLink | None:
    """The document's link to a server workflow (metadata ``"server"``), if any."""
    return ServerLink.from_json(workflow.metadata.get(LINK_KEY))


def graph_fingerprint(workflow: Workflow) -> str:
    """A hash of everything in the graph that changes a run.

    Node ids, types and parameters and the wiring count; positions, labels, the
    name, the description and editor metadata do not, nor does the order of nodes
    and edges.
    """
    nodes = sorted(
        ({"id": n.id, "type": n.type, "data": n.data} for n in workflow.nodes),
        key=lambda n: str(n["id"]),
    )
    edges = sorted((e.source, e.source_handle, e.target, e.target_handle) for e in workflow.edges)
    canonical = json.dumps(
        {"nodes": nodes, "edges": edges}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
