"""Credential lookup by reference: environment first, then the (in-memory) keyring."""

from __future__ import annotations

import pytest
from keyring.errors import KeyringLocked, NoKeyringError

from engine.credentials import (
    KEYRING_SERVICE,
    delete_credential,
    lookup_credential,
    store_credential,
)
from engine.errors import CredentialStoreError, PatchbayError
from tests.engine.providers.conftest import MemoryKeyring


def test_the_environment_variable_is_used_first(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, "FAL_KEY", "from-keyring")
    monkeypatch.setenv("FAL_KEY", "  from-env  ")
    assert lookup_credential("FAL_KEY") == "from-env"


def test_the_keyring_is_used_when_the_variable_is_unset_or_blank(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lookup_credential("FAL_KEY") is None
    memory_keyring.set_password(KEYRING_SERVICE, "FAL_KEY", "from-keyring")
    assert lookup_credential("FAL_KEY") == "from-keyring"
    monkeypatch.setenv("FAL_KEY", "   ")
    assert lookup_credential("FAL_KEY") == "from-keyring"
    # Another service's entry is not ours.
    memory_keyring.set_password("someone-else", "REPLICATE_API_TOKEN", "theirs")
    assert lookup_credential("REPLICATE_API_TOKEN") is None


def test_a_failing_keyring_means_not_found(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    monkeypatch.setattr(memory_keyring, "get_password", locked)
    assert lookup_credential("FAL_KEY") is None


def test_the_keyring_can_be_switched_off(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, "FAL_KEY", "from-keyring")
    monkeypatch.setenv("PATCHBAY_DISABLE_KEYRING", "1")
    assert lookup_credential("FAL_KEY") is None
    with pytest.raises(CredentialStoreError, match="disabled"):
        store_credential("FAL_KEY", "secret")


def test_store_and_delete_go_through_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store_credential("ELEVENLABS_API_KEY", " sk_secret ")
    assert memory_keyring.secrets == {(KEYRING_SERVICE, "ELEVENLABS_API_KEY"): "sk_secret"}
    assert lookup_credential("ELEVENLABS_API_KEY") == "sk_secret"
    assert delete_credential("ELEVENLABS_API_KEY") is True
    assert delete_credential("ELEVENLABS_API_KEY") is False
    assert lookup_credential("ELEVENLABS_API_KEY") is None


def test_a_keyring_that_cannot_store_raises_a_clear_error(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(service: str, username: str, password: str) -> None:
        raise NoKeyringError(f"No recommended backend was available ({password})")

    monkeypatch.setattr(memory_keyring, "set_password", refuse)
    with pytest.raises(CredentialStoreError) as caught:
        store_credential("FAL_KEY", "super-secret-value")
    assert isinstance(caught.value, PatchbayError)
    message = str(caught.value)
    assert "FAL_KEY" in message and "NoKeyringError" in message
    assert "super-secret-value" not in message
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert "super-secret-value" not in repr(caught.value)


@pytest.mark.parametrize("reference", ["", "FAL KEY", "../x", "1ABC", "a" * 200])
def test_references_must_be_plain_names(reference: str) -> None:
    with pytest.raises(ValueError, match="reference"):
        lookup_credential(reference)


def test_an_empty_secret_is_not_stored(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="empty"):
        store_credential("FAL_KEY", "  ")
    assert memory_keyring.secrets == {}
