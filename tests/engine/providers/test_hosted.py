"""make_hosted_node: preview delegation, key lookup, adapter selection."""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from engine.artifacts import ArtifactStore
from engine.credentials import KEYRING_SERVICE
from engine.errors import PermanentNodeError
from engine.executor import ErrorKind, NodeState
from engine.nodes.base import NodeContext
from engine.providers import (
    PROVIDER_NAMES,
    Provider,
    ProviderCall,
    UnknownProviderError,
    get_provider_class,
    make_hosted_node,
    registry,
)
from engine.providers.fal import FalProvider
from engine.providers.replicate import ReplicateProvider
from engine.values import Artifact
from tests.engine.providers.conftest import (
    FAL_KEY,
    MemoryKeyring,
    context,
    fal_flux_spec,
    run_node,
    run_workflow,
)
from tests.engine.providers.doubles import FalDouble


async def test_a_missing_key_fails_before_any_request(
    fal: FalDouble, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    monkeypatch.delenv("FAL_KEY")

    record = await run_workflow(fal_flux_spec(), {"prompt": "a kite"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.kind == ErrorKind.PERMANENT
    assert node.error.message == (
        "No API key for fal: set the FAL_KEY environment variable or store it in "
        "the OS keyring (python -m keyring set patchbay FAL_KEY), or run in preview mode"
    )
    assert node.error.details == {
        "code": "missing_credential",
        "provider": "fal",
        "credential": "FAL_KEY",
    }
    assert not fal.requests


async def test_the_key_can_come_from_the_keyring(
    fal: FalDouble,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    store: ArtifactStore,
) -> None:
    monkeypatch.delenv("FAL_KEY")
    memory_keyring.set_password(KEYRING_SERVICE, "FAL_KEY", FAL_KEY)

    run = await run_node(fal_flux_spec(), store, {"prompt": "a kite"})

    assert isinstance(run.outputs["image"], Artifact)
    assert fal.calls("POST")[0].headers["authorization"] == f"Key {FAL_KEY}"


async def test_a_node_may_name_its_own_credential(
    fal: FalDouble, monkeypatch: pytest.MonkeyPatch, store: ArtifactStore
) -> None:
    monkeypatch.delenv("FAL_KEY")
    spec = fal_flux_spec(
        provider_options={"credential": "TEAM_FAL_KEY", "output_paths": {"image": "images[0]"}}
    )
    with pytest.raises(PermanentNodeError, match="set the TEAM_FAL_KEY environment variable"):
        await run_node(spec, store, {"prompt": "a kite"})

    monkeypatch.setenv("TEAM_FAL_KEY", FAL_KEY)
    run = await run_node(spec, store, {"prompt": "a kite"})
    assert isinstance(run.outputs["image"], Artifact)


async def test_preview_mode_delegates_to_engine_preview_without_a_key(
    fal: FalDouble, monkeypatch: pytest.MonkeyPatch, store: ArtifactStore
) -> None:
    monkeypatch.delenv("FAL_KEY")
    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    async def preview_outputs(
        spec: Any, params: Mapping[str, Any], inputs: Mapping[str, Any], ctx: NodeContext
    ) -> dict[str, Any]:
        calls.append((spec.type, dict(params), dict(inputs)))
        return {"image": "stand-in"}

    fake = types.ModuleType("engine.preview")
    fake.preview_outputs = preview_outputs  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "engine.preview", fake)
    spec = fal_flux_spec()
    ctx = context(spec, store, {"prompt": "a kite"})
    ctx.preview = True

    outputs = await make_hosted_node(spec)(ctx, {"prompt": "a kite"})  # type: ignore[misc]

    assert outputs == {"image": "stand-in"}
    assert calls == [
        (
            spec.type,
            {"prompt": "a kite", "image_size": "landscape_4_3", "num_inference_steps": 28},
            {"prompt": "a kite"},
        )
    ]
    assert not fal.requests


async def test_an_unknown_provider_is_a_permanent_error(store: ArtifactStore) -> None:
    spec = fal_flux_spec(provider="carrier-pigeon")
    with pytest.raises(PermanentNodeError, match="unknown provider 'carrier-pigeon'"):
        await run_node(spec, store, {"prompt": "x"})


def test_the_registry_knows_the_contract_names() -> None:
    assert PROVIDER_NAMES == ("fal", "replicate", "openai", "comfyui", "elevenlabs", "google")
    assert get_provider_class("fal") is FalProvider
    assert get_provider_class("replicate") is ReplicateProvider
    with pytest.raises(UnknownProviderError):
        get_provider_class("nope")


class _LocalEcho(Provider):
    """A keyless provider, as a local server adapter would be."""

    name = "test-local"
    credential = "LOCAL_ECHO_KEY"
    key_required = False
    default_base_url = "http://127.0.0.1:9"
    seen_keys: list[str | None] = []

    async def run(self, call: ProviderCall) -> dict[str, Any]:
        self.seen_keys.append(self.api_key)
        return {"image": f"echo {call.params['prompt']} via {self.base_url}"}


async def test_a_provider_that_needs_no_key_runs_without_one(
    monkeypatch: pytest.MonkeyPatch, store: ArtifactStore
) -> None:
    monkeypatch.setitem(registry._registered, "test-local", _LocalEcho)
    monkeypatch.setenv("PATCHBAY_TEST_LOCAL_BASE_URL", "http://127.0.0.1:1234")
    spec = fal_flux_spec(provider="test-local")

    run = await run_node(spec, store, {"prompt": "hi"})

    assert run.outputs == {"image": "echo hi via http://127.0.0.1:1234"}
    assert _LocalEcho.seen_keys == [None]
