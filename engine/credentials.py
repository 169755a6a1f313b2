"""API keys looked up by reference name, never stored in a workflow.

A hosted node names the credential it needs (``FAL_KEY``, ``REPLICATE_API_TOKEN`` …);
:func:`lookup_credential` resolves the name to the secret:

1. the environment variable of that name (servers, CI, shells), then
2. the OS keyring, service ``"patchbay"``, username = the reference name (the
   desktop app's Settings dialog stores keys there through :func:`store_credential`).

Every keyring failure (no backend, a locked or broken one, a D-Bus error) is
treated as "not found": a missing key is reported by the node that needs it, with a
message naming the reference, never as a traceback. Setting
``PATCHBAY_DISABLE_KEYRING=1`` skips the keyring entirely (headless servers whose
keyring backend would block, test suites).

Secrets are never logged: this module logs reference names and exception class
names only.
"""

from __future__ import annotations

import logging
import os
import re

from engine.errors import CredentialStoreError

__all__ = [
    "KEYRING_SERVICE",
    "delete_credential",
    "keyring_disabled",
    "lookup_credential",
    "store_credential",
]

#: The keyring service name under which every Patchbay secret is stored.
KEYRING_SERVICE = "patchbay"

_log = logging.getLogger(__name__)
_REFERENCE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def _check_reference(reference: str) -> None:
    if not isinstance(reference, str) or not _REFERENCE.match(reference):
        raise ValueError(
            f"a credential reference is an environment-variable style name such as "
            f"FAL_KEY, got {reference!r}"
        )


def keyring_disabled() -> bool:
    """Whether ``PATCHBAY_DISABLE_KEYRING`` turns the OS keyring off."""
    return os.environ.get("PATCHBAY_DISABLE_KEYRING", "").strip().lower() in {"1", "true", "yes"}


def lookup_credential(reference: str) -> str | None:
    """The secret named ``reference``: environment variable first, then the OS keyring.

    Returns ``None`` when neither has a non-empty value (or the keyring fails).
    Raises :class:`ValueError` for a reference that is not a plain name.
    """
    _check_reference(reference)
    value = os.environ.get(reference, "").strip()
    if value:
        return value
    if keyring_disabled():
        return None
    try:
        import keyring

        secret = keyring.get_password(KEYRING_SERVICE, reference)
    except Exception as exc:  # any backend failure means "not available here"
        _log.debug("keyring lookup of %s failed: %s", reference, type(exc).__name__)
        return None
    if isinstance(secret, str) and secret.strip():
        return secret.strip()
    return None


def store_credential(reference: str, secret: str) -> None:
    """Store ``secret`` under ``reference`` in the OS keyring.

    Raises :class:`engine.errors.CredentialStoreError` when no keyring backend can
    store it (none installed, locked, refused); the message names the reference and
    the backend's error class, never the secret.
    """
    _check_reference(reference)
    if not isinstance(secret, str) or not secret.strip():
        raise ValueError("the secret to store is empty")
    if keyring_disabled():
        raise CredentialStoreError(
            f"cannot store {reference}: the OS keyring is disabled (PATCHBAY_DISABLE_KEYRING)"
        )
    failure: str | None = None
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, reference, secret.strip())
    except Exception as exc:
        failure = type(exc).__name__
    if failure is not None:  # raised outside the handler: no chained error to carry data
        raise CredentialStoreError(
            f"cannot store {reference} in the OS keyring ({failure}); "
            f"set the environment variable {reference} instead"
        )


def delete_credential(reference: str) -> bool:
    """Remove ``reference`` from the OS keyring; ``False`` when it was not there."""
    _check_reference(reference)
    if keyring_disabled():
        return False
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, reference)
    except Exception as exc:
        _log.debug("keyring delete of %s failed: %s", reference, type(exc).__name__)
        return False
    return True
