"""Fixtures for the provider tests: protocol doubles, an in-memory keyring, node specs.

Every test here gets an in-memory keyring (the real OS keyring is never touched)
and a clean environment (no real ``FAL_KEY`` / ``REPLICATE_API_TOKEN``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from engine.artifacts import ArtifactStore
from engine.catalog import (
    Catalog,
    Category,
    NodeSpec,
    ParamKind,
    ParamSpec,
    PortSpec,
    PortType,
    Pricing,
    PricingUnit,
)
from engine.executor import ExecutionRecord, Executor, RetryPolicy, RunOptions
from engine.nodes.base import NodeContext
from engine.providers import FAST_POLL, make_hosted_node
from engine.workflow import Workflow
from tests.engine.providers.doubles import FalDouble, ReplicateDouble

FIXTURES = Path(__file__).parent / "fixtures"
#: fal keys are ``key_id:key_secret``; both halves must stay secret.
FAL_KEY = "3f9a2c7e-1b4d-4e8f-9a0b-5c6d7e8f9a0b:5b1d8e6f0a4c2e7d9b3f1a6c8e0d2b4f"
REPLICATE_TOKEN = "r8_T0kenForTests9f8e7d6c5b4a3f2e1d0c9b8a7"
CREDENTIAL_VARIABLES = ("FAL_KEY", "REPLICATE_API_TOKEN", "PATCHBAY_DISABLE_KEYRING")


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps secrets in a dict (tests only)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """An in-memory keyring for the test, and no credential variables set."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def fal(monkeypatch: pytest.MonkeyPatch) -> Iterator[FalDouble]:
    """fal's queue API on 127.0.0.1, with ``FAL_KEY`` and the base URL pointing at it."""
    with FalDouble(key=FAL_KEY) as double:
        monkeypatch.setenv("PATCHBAY_FAL_BASE_URL", double.url)
        monkeypatch.setenv("FAL_KEY", FAL_KEY)
        yield double


@pytest.fixture
def replicate(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplicateDouble]:
    """Replicate's predictions API on 127.0.0.1, with the token and base URL set."""
    with ReplicateDouble(token=REPLICATE_TOKEN) as double:
        monkeypatch.setenv("PATCHBAY_REPLICATE_BASE_URL", double.url)
        monkeypatch.setenv("REPLICATE_API_TOKEN", REPLICATE_TOKEN)
        yield double


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


# -- specs --------------------------------------------------------------------------

_PROMPT_PORT = PortSpec(name="prompt", type=PortType.TEXT)
_PROMPT_PARAM = ParamSpec(name="prompt", kind=ParamKind.TEXT)


def fal_flux_spec(**changes: Any) -> NodeSpec:
    """A hand-written hosted spec for ``fal-ai/flux/dev`` (text → image)."""
    spec = NodeSpec(
        type="test.fal-flux-dev",
        category=Category.IMAGE,
        display_name="FLUX.1 [dev] (fal)",
        inputs=(_PROMPT_PORT,),
        outputs=(PortSpec(name="image", type=PortType.IMAGE),),
        params=(
            _PROMPT_PARAM,
            ParamSpec(
                name="image_size",
                kind=ParamKind.ENUM,
                default="landscape_4_3",
                choices=("square_hd", "square", "landscape_4_3", "landscape_16_9"),
            ),
            ParamSpec(name="num_inference_steps", kind=ParamKind.INTEGER, default=28),
            ParamSpec(name="seed", kind=ParamKind.SEED),
        ),
        provider="fal",
        model_id="fal-ai/flux/dev",
        pricing=Pricing(unit=PricingUnit.PER_IMAGE, credits=2.5),
        source="https://fal.ai/models/fal-ai/flux/dev/api",
        provider_options={"output_paths": {"image": "images[0].url"}},
    )
    return spec.model_copy(update=changes)


def replicate_flux_spec(**changes: Any) -> NodeSpec:
    """A hand-written hosted spec for ``black-forest-labs/flux-1.1-pro`` (text → image)."""
    spec = NodeSpec(
        type="test.replicate-flux-1-1-pro",
        category=Category.IMAGE,
        display_name="FLUX1.1 [pro] (Replicate)",
        inputs=(_PROMPT_PORT,),
        outputs=(PortSpec(name="image", type=PortType.IMAGE),),
        params=(
            _PROMPT_PARAM,
            ParamSpec(
                name="aspect_ratio",
                kind=ParamKind.ENUM,
                default="1:1",
                choices=("1:1", "16:9", "9:16", "4:3"),
            ),
            ParamSpec(
                name="output_format",
                kind=ParamKind.ENUM,
                default="png",
                choices=("webp", "jpg", "png"),
            ),
        ),
        provider="replicate",
        model_id="black-forest-labs/flux-1.1-pro",
        pricing=Pricing(unit=PricingUnit.PER_IMAGE, credits=4.0),
        source="https://replicate.com/black-forest-labs/flux-1.1-pro/api",
        provider_options={"output_paths": {"image": ""}},
    )
    return spec.model_copy(update=changes)


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


# -- running a hosted node ----------------------------------------------------------


@dataclass
class NodeRun:
    """The outcome of running one hosted node outside the executor."""

    outputs: dict[str, Any] = field(default_factory=dict)
    progress: list[tuple[float, str | None]] = field(default_factory=list)


def context(
    spec: NodeSpec,
    store: ArtifactStore,
    params: Mapping[str, Any],
    progress: list[tuple[float, str | None]] | None = None,
    *,
    confined: bool = False,
) -> NodeContext:
    sink = progress if progress is not None else []
    return NodeContext(
        node_id="node",
        node_type=spec.type,
        params=spec.resolved_params(dict(params)),
        artifacts=store,
        report_progress=lambda fraction, message=None: sink.append((fraction, message)),
        confined=confined,
    )


async def run_node(
    spec: NodeSpec,
    store: ArtifactStore,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any] | None = None,
    *,
    confined: bool = False,
) -> NodeRun:
    """Run ``spec`` through :func:`make_hosted_node` (fast polling), as the executor would
    (``confined``: as the server runs it)."""
    run = NodeRun()
    ctx = context(spec, store, params, run.progress, confined=confined)
    implementation = make_hosted_node(spec, poll=FAST_POLL)
    merged = {p.name: ctx.params[p.name] for p in spec.inputs if p.name in ctx.params}
    merged.update(inputs or {})
    result = await implementation(ctx, merged)  # type: ignore[misc]
    run.outputs = dict(result)
    return run


FAST_RETRY = RetryPolicy(max_attempts=3, initial_delay_s=0.01, max_delay_s=0.05, jitter=0)


async def run_workflow(
    spec: NodeSpec, data: Mapping[str, Any], data_dir: Path, *, retry: RetryPolicy = FAST_RETRY
) -> ExecutionRecord:
    """Run a one-node workflow of ``spec`` through the executor."""
    catalog = Catalog()
    catalog.register(spec, make_hosted_node(spec, poll=FAST_POLL))
    workflow = Workflow.model_validate(
        {"name": "one hosted node", "nodes": [{"id": "gen", "type": spec.type, "data": data}]}
    )
    executor = Executor(catalog, artifacts=ArtifactStore(data_dir / "artifacts"), base_dir=data_dir)
    return await executor.run(workflow, RunOptions(retry=retry, node_timeout_s=20))


def assert_secret_absent(secret: str, *things: Any, caplog: pytest.LogCaptureFixture) -> None:
    """``secret`` (or either ``:`` half) appears in no thing and no captured log record."""
    needles = [secret, *(part for part in secret.split(":") if len(part) >= 8)]
    texts = [_dump(thing) for thing in things]
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            texts.append(repr(record.exc_info[1]))
    for text in texts:
        for needle in needles:
            assert needle not in text, f"the key leaked into: {text[:300]}"


def _dump(thing: Any) -> str:
    if isinstance(thing, BaseException):
        parts = []
        current: BaseException | None = thing
        while current is not None:  # the whole chain, with any HTTP request it holds
            details = getattr(current, "details", {})
            parts.append(f"{current!s} | {current!r} | {json.dumps(details, default=str)}")
            request = getattr(current, "_request", None)
            if request is not None:
                parts.append(repr(dict(request.headers)))
            current = current.__cause__ or current.__context__
        return " || ".join(parts)
    if hasattr(thing, "model_dump_json"):
        return str(thing.model_dump_json())
    return json.dumps(thing, default=str)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every log record at DEBUG level (httpx and httpcore included)."""
    caplog.set_level(logging.DEBUG)
    return caplog
