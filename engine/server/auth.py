"""API keys: generation, hashing and the Bearer-token check.

A key is ``pb_`` followed by 43 URL-safe characters (256 random bits). Only its
SHA-256 is stored: a fast hash is enough for a high-entropy secret (no dictionary
to attack), and it lets every request be authenticated with one indexed lookup.
The first characters are kept as the key's ``prefix`` so ``keys list`` can show
which key is which.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from engine.server.errors import AuthenticationError
from engine.server.settings import Tier
from engine.server.storage import Account, ApiKey, Principal, Storage

KEY_PREFIX = "pb_"
#: Characters of a key shown in listings (``pb_`` and 9 random characters).
DISPLAY_PREFIX_LENGTH = 12


def generate_key() -> str:
    """A new secret API key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def display_prefix(key: str) -> str:
    """The part of a key shown in listings."""
    return key[:DISPLAY_PREFIX_LENGTH]


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just created: the secret (shown once) and its stored description."""

    secret: str
    key: ApiKey
    account: Account


def issue_key(
    storage: Storage,
    *,
    name: str,
    tier: Tier = Tier.FREE,
    credits_micro: int = 0,
    account: Account | None = None,
) -> IssuedKey:
    """Create a key, for ``account`` or for a new account called ``name``."""
    now = time.time()
    if account is None:
        account = storage.create_account(name, tier, credits_micro, now)
    secret = generate_key()
    key = storage.create_api_key(account.id, name, display_prefix(secret), hash_key(secret), now)
    return IssuedKey(secret, key, account)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(storage: Storage, authorization: str | None) -> Principal:
    """The principal for an ``Authorization`` header; :class:`AuthenticationError` if none."""
    token = bearer_token(authorization)
    if token is None:
        raise AuthenticationError(
            "send your API key as 'Authorization: Bearer <key>'", code="missing_api_key"
        )
    principal = storage.authenticate(hash_key(token))
    if principal is None:
        raise AuthenticationError("the API key is unknown or revoked", code="invalid_api_key")
    return principal
