"""Shared fixtures for the engine tests (append new fixtures; do not clobber)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

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
from engine.nodes.base import NodeContext, Outputs

# -- test_catalog: a small catalog independent of the shipped node types ---------------


def _text_source(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    name = str(context.params.get("name") or context.node_id)
    return {"text": context.run_inputs.get(name, context.params.get("default", ""))}


def _number_source(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    return {"value": context.params.get("value", 0)}


def _generate(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    return {"image": f"image of {inputs.get('prompt', '')}"}


def _caption(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    return {"image": f"{inputs.get('image')} captioned {inputs.get('text', '')!r}"}


def _grid(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    return {"image": f"grid of {len(inputs.get('images') or [])}"}


def _join(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    separator = str(context.params.get("separator", "\n"))
    return {"text": separator.join(str(t) for t in inputs.get("texts") or [])}


def _upper(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    return {"text": str(inputs.get("text", "")).upper()}


def _sink(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    return {}


TEST_SPECS: tuple[NodeSpec, ...] = (
    NodeSpec(
        type="test.text",
        category=Category.INPUT,
        display_name="Text input",
        params=(
            ParamSpec(name="name", kind=ParamKind.STRING, required=True),
            ParamSpec(name="default", kind=ParamKind.TEXT, default=""),
        ),
        outputs=(PortSpec(name="text", type=PortType.TEXT),),
    ),
    NodeSpec(
        type="test.number",
        category=Category.INPUT,
        display_name="Number input",
        params=(ParamSpec(name="value", kind=ParamKind.NUMBER, default=0),),
        outputs=(PortSpec(name="value", type=PortType.NUMBER),),
    ),
    NodeSpec(
        type="test.generate",
        category=Category.IMAGE,
        display_name="Generate image",
        aliases=("test.imagine",),
        inputs=(
            PortSpec(name="prompt", type=PortType.TEXT),
            PortSpec(name="style_image", type=PortType.IMAGE, required=False),
        ),
        outputs=(PortSpec(name="image", type=PortType.IMAGE),),
        params=(
            ParamSpec(name="width", kind=ParamKind.INTEGER, default=512, minimum=64, maximum=2048),
            ParamSpec(
                name="style",
                kind=ParamKind.ENUM,
                default="photo",
                choices=("photo", "sketch", "anime"),
            ),
            ParamSpec(name="seed", kind=ParamKind.SEED, default=0, minimum=0),
            ParamSpec(name="strength", kind=ParamKind.NUMBER, default=0.5, minimum=0, maximum=1),
            ParamSpec(name="upscale", kind=ParamKind.BOOLEAN, default=False),
            ParamSpec(name="tint", kind=ParamKind.COLOR),
            ParamSpec(name="options", kind=ParamKind.JSON),
        ),
        provider="test",
        pricing=Pricing(unit=PricingUnit.PER_IMAGE, credits=2.0),
    ),
    NodeSpec(
        type="test.caption",
        category=Category.EDITING,
        display_name="Caption",
        inputs=(
            PortSpec(name="image", type=PortType.IMAGE),
            PortSpec(name="text", type=PortType.TEXT),
        ),
        outputs=(PortSpec(name="image", type=PortType.IMAGE),),
        params=(ParamSpec(name="size", kind=ParamKind.INTEGER, default=24, minimum=4),),
    ),
    NodeSpec(
        type="test.grid",
        category=Category.EDITING,
        display_name="Grid",
        inputs=(PortSpec(name="images", type=PortType.IMAGE, is_list=True),),
        outputs=(PortSpec(name="image", type=PortType.IMAGE),),
    ),
    NodeSpec(
        type="test.join",
        category=Category.UTILITY,
        display_name="Join texts",
        inputs=(PortSpec(name="texts", type=PortType.TEXT, is_list=True),),
        outputs=(PortSpec(name="text", type=PortType.TEXT),),
        params=(ParamSpec(name="separator", kind=ParamKind.STRING, default="\n"),),
    ),
    NodeSpec(
        type="test.upper",
        category=Category.TEXT,
        display_name="Upper case",
        inputs=(PortSpec(name="text", type=PortType.TEXT),),
        outputs=(PortSpec(name="text", type=PortType.TEXT),),
    ),
    NodeSpec(
        type="test.output_image",
        category=Category.OUTPUT,
        display_name="Image output",
        inputs=(PortSpec(name="image", type=PortType.IMAGE),),
    ),
)

_IMPLEMENTATIONS = {
    "test.text": _text_source,
    "test.number": _number_source,
    "test.generate": _generate,
    "test.caption": _caption,
    "test.grid": _grid,
    "test.join": _join,
    "test.upper": _upper,
    "test.output_image": _sink,
}


def build_test_catalog() -> Catalog:
    """A fresh catalog of the ``test.*`` node types, with trivial implementations.

    ``test.text`` (param ``name`` required, ``default``; out ``text``: text),
    ``test.number`` (param ``value``; out ``value``: number), ``test.generate``
    (in ``prompt``: text, optional ``style_image``: image; out ``image``; params
    ``width`` 64..2048, ``style`` photo|sketch|anime, ``seed`` ≥ 0, ``strength``
    0..1, ``upscale`` boolean, ``tint`` colour, ``options`` json; alias
    ``test.imagine``),
    ``test.caption`` (in ``image``, ``text``; out ``image``; param ``size`` ≥ 4),
    ``test.grid`` (in ``images``: list of image; out ``image``), ``test.join`` (in
    ``texts``: list of text; out ``text``), ``test.upper`` (text → text) and
    ``test.output_image`` (in ``image``).
    """
    catalog = Catalog()
    for spec in TEST_SPECS:
        catalog.register(spec, _IMPLEMENTATIONS[spec.type])
    return catalog


@pytest.fixture
def test_catalog() -> Catalog:
    """A small catalog of ``test.*`` node types (see :func:`build_test_catalog`)."""
    return build_test_catalog()


# -- exec_kit: node types that exercise the executor (timing, failures, batches) ------

import asyncio  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

from engine.artifacts import ArtifactStore  # noqa: E402
from engine.cache import NodeCache  # noqa: E402
from engine.errors import PermanentNodeError, TransientNodeError  # noqa: E402
from engine.executor import Executor  # noqa: E402
from engine.values import Batch  # noqa: E402
from engine.workflow import Workflow  # noqa: E402

_VALUE_IN = PortSpec(name="value", type=PortType.JSON, required=False)
_VALUE_OUT = PortSpec(name="value", type=PortType.JSON)


@dataclass
class ExecKit:
    """A catalog of ``x.*`` executor test nodes, the calls they saw, and helpers.

    ``x.const`` (param ``value`` → out ``value``); ``x.sleep`` (in/out ``value``,
    param ``seconds``: async sleep); ``x.sync_sleep`` (same, ``time.sleep`` in a
    thread); ``x.fail`` (PermanentNodeError), ``x.crash`` (ValueError); ``x.flaky``
    (TransientNodeError for the first ``failures`` calls); ``x.hang`` (sleeps for
    ever); ``x.split`` (param ``items`` → batch out ``items``); ``x.upper``
    (in/out ``text``); ``x.join`` (list in ``items`` → ``text``); ``x.progress``
    (sync, reports 0.25/0.5/1.0 from its thread); ``x.priced`` (hosted, 2.5 credits
    per ``count``); ``input.value`` (run input ``name``); ``output.value`` (in
    ``value``, returns nothing). ``calls`` counts runs per node id (and item).
    """

    calls: Counter[str] = field(default_factory=Counter)
    catalog: Catalog = field(default_factory=Catalog)
    progress_threads: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        calls = self.calls

        def count(ctx: NodeContext) -> None:
            calls[ctx.node_id] += 1
            if ctx.item_index is not None:
                calls[f"{ctx.node_id}[{ctx.item_index}]"] += 1

        async def const(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            return {"value": ctx.params.get("value")}

        async def sleep(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            await asyncio.sleep(float(ctx.params.get("seconds", 0)))
            return {"value": inputs.get("value", ctx.params.get("value"))}

        def sync_sleep(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            time.sleep(float(ctx.params.get("seconds", 0)))
            return {"value": inputs.get("value")}

        async def fail(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            raise PermanentNodeError("the prompt was refused", details={"code": "refused"})

        async def crash(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            raise ValueError("bad pixel")

        async def flaky(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            if calls[ctx.node_id] <= int(ctx.params.get("failures", 1)):
                raise TransientNodeError("HTTP 503 from provider", retry_after=0.01)
            return {"value": "ok"}

        async def hang(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            await asyncio.sleep(3600)
            return {}

        async def split(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            return {"items": Batch(tuple(ctx.params.get("items", ())))}

        async def upper(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            await asyncio.sleep(float(ctx.params.get("seconds", 0)))
            text = inputs["text"]
            if text == "boom":
                raise PermanentNodeError("cannot shout 'boom'")
            return {"text": str(text).upper()}

        async def join(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            return {"text": "+".join(str(v) for v in inputs.get("items", []))}

        def progress(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            self.progress_threads.append(threading.get_ident())
            for fraction, message in ((0.25, "warming up"), (0.5, None), (1.0, "done")):
                ctx.report_progress(fraction, message)
            return {"value": "progressed"}

        async def priced(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            return {"value": f"preview={ctx.preview}"}

        async def read_input(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            name = ctx.params.get("name") or ctx.node_id
            return {"value": ctx.run_inputs.get(name, ctx.params.get("default"))}

        async def output(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
            count(ctx)
            return {}

        def spec(type_: str, **kwargs: Any) -> NodeSpec:
            kwargs.setdefault("inputs", (_VALUE_IN,))
            kwargs.setdefault("outputs", (_VALUE_OUT,))
            return NodeSpec(
                type=type_, category=Category.UTILITY, display_name=type_.title(), **kwargs
            )

        text_in = PortSpec(name="text", type=PortType.TEXT)
        text_out = PortSpec(name="text", type=PortType.TEXT)
        number = ParamSpec(name="seconds", kind=ParamKind.NUMBER, default=0)
        register = self.catalog.register
        register(spec("x.const", params=(ParamSpec(name="value", kind=ParamKind.JSON),)), const)
        register(spec("x.sleep", params=(number,)), sleep)
        register(spec("x.sync_sleep", params=(number,)), sync_sleep)
        register(spec("x.fail"), fail)
        register(spec("x.crash"), crash)
        register(spec("x.flaky"), flaky)
        register(spec("x.hang"), hang)
        register(
            spec(
                "x.split",
                inputs=(),
                outputs=(PortSpec(name="items", type=PortType.TEXT, is_list=True),),
            ),
            split,
        )
        register(spec("x.upper", inputs=(text_in,), outputs=(text_out,), params=(number,)), upper)
        register(
            spec(
                "x.join",
                inputs=(PortSpec(name="items", type=PortType.TEXT, is_list=True),),
                outputs=(text_out,),
            ),
            join,
        )
        register(spec("x.progress"), progress)
        register(
            spec(
                "x.priced",
                provider="test-cloud",
                params=(ParamSpec(name="count", kind=ParamKind.INTEGER, default=1),),
                pricing=Pricing(unit=PricingUnit.PER_IMAGE, credits=2.5, quantity_param="count"),
            ),
            priced,
        )
        register(spec("input.value", inputs=()), read_input)
        register(spec("output.value", outputs=()), output)

    def executor(self, data_dir: Path, *, cache: bool = True) -> Executor:
        """An executor over this kit's catalog storing into ``data_dir``."""
        return Executor(
            self.catalog,
            artifacts=ArtifactStore(data_dir / "artifacts"),
            cache=NodeCache.in_data_dir(data_dir) if cache else None,
            base_dir=data_dir,
        )


def make_workflow(nodes: dict[str, tuple[str, dict[str, Any]]], *wires: str) -> Workflow:
    """A workflow from ``{id: (type, data)}`` and wires like ``"a.value->b.value"``."""
    edges = []
    for index, wire in enumerate(wires):
        source, target = wire.split("->")
        source_id, source_port = source.split(".")
        target_id, target_port = target.split(".")
        edges.append(
            {
                "id": f"e{index}",
                "source": source_id,
                "sourceHandle": source_port,
                "target": target_id,
                "targetHandle": target_port,
            }
        )
    return Workflow.model_validate(
        {
            "name": "test",
            "nodes": [{"id": nid, "type": t, "data": data} for nid, (t, data) in nodes.items()],
            "edges": edges,
        }
    )


@pytest.fixture
def exec_kit() -> ExecKit:
    """Executor test nodes (see :class:`ExecKit`)."""
    return ExecKit()


# -- nodes: call the built-in node implementations directly -----------------------------

from collections.abc import Mapping  # noqa: E402

from PIL import Image  # noqa: E402

from engine.catalog import default_catalog  # noqa: E402
from engine.values import Artifact  # noqa: E402


@dataclass
class NodeRunner:
    """Runs one built-in node implementation outside the executor.

    ``base_dir`` (relative input paths) and ``output_dir`` (files written for the
    user) are separate folders under the test's ``tmp_path``.
    """

    artifacts: ArtifactStore
    base_dir: Path
    output_dir: Path

    def context(
        self,
        node_type: str,
        params: Mapping[str, Any] | None = None,
        *,
        node_id: str = "node",
        run_inputs: Mapping[str, Any] | None = None,
        item_index: int | None = None,
    ) -> NodeContext:
        """The context the executor would build (parameters with defaults filled in)."""
        spec = default_catalog().spec(node_type)
        return NodeContext(
            node_id=node_id,
            node_type=node_type,
            params=spec.resolved_params(dict(params or {})),
            artifacts=self.artifacts,
            base_dir=self.base_dir,
            output_dir=self.output_dir,
            run_inputs=dict(run_inputs or {}),
            item_index=item_index,
        )

    def run(
        self,
        node_type: str,
        params: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        **context: Any,
    ) -> dict[str, Any]:
        """Run ``node_type`` once and return its outputs."""
        implementation = default_catalog().entry(node_type).implementation
        result = implementation(self.context(node_type, params, **context), dict(inputs or {}))
        assert isinstance(result, Mapping), "built-in nodes are synchronous"
        return dict(result)

    def put_image(self, image: Image.Image, filename: str | None = None) -> Artifact:
        """Store a Pillow image as a PNG artifact, as an upstream node would."""
        from engine.nodes.image import store_image

        return store_image(self.context("image.load"), image, filename=filename)

    def image(self, artifact: Any) -> Image.Image:
        """Open an image artifact (fully loaded)."""
        assert isinstance(artifact, Artifact), f"expected an artifact, got {artifact!r}"
        with Image.open(self.artifacts.path(artifact)) as opened:
            opened.load()
            return opened.copy()


@pytest.fixture
def nodes(tmp_path: Path) -> NodeRunner:
    """Run built-in nodes directly (see :class:`NodeRunner`)."""
    base_dir, output_dir = tmp_path / "workflow", tmp_path / "out"
    base_dir.mkdir()
    output_dir.mkdir()
    return NodeRunner(ArtifactStore(tmp_path / "artifacts"), base_dir, output_dir)


# -- media: probing and spec checks for the local media nodes ----------------------------

from engine.media.probe import MediaInfo, probe  # noqa: E402


def probe_artifact(runner: NodeRunner, artifact: Any) -> MediaInfo:
    """Probe a stored media artifact with ffmpeg (duration, streams, size)."""
    assert isinstance(artifact, Artifact), f"expected an artifact, got {artifact!r}"
    return probe(runner.artifacts.path(artifact))


def assert_local_spec_complete(spec: NodeSpec) -> None:
    """The palette/properties-panel conventions every shipped local node follows."""
    assert spec.display_name.strip() and spec.description.strip()
    assert spec.aliases, "aliases make the node findable in search"
    assert spec.provider == "local"
    assert spec.pricing.estimate(spec.resolved_params({})) == 0
    for group in (spec.inputs, spec.outputs, spec.params):
        names = [item.name for item in group]
        assert len(names) == len(set(names)), f"duplicate names in {names}"
    for port in (*spec.inputs, *spec.outputs):
        assert port.description, f"port {port.name} has no description"
        param = spec.param(port.name)
        if port in spec.inputs and param is not None:
            assert not port.required, f"{port.name} has a parameter fallback, so it is optional"
    for param in spec.params:
        assert param.description, f"param {param.name} has no description"
        if param.default is not None:
            assert param.check(param.default) is None, f"default of {param.name} is invalid"
        if param.kind == ParamKind.ENUM:
            assert param.choices and param.default in param.choices
        if param.kind in (ParamKind.NUMBER, ParamKind.INTEGER):
            assert param.minimum is not None and param.maximum is not None, param.name


# -- offline runs (the examples' tests) ---------------------------------------------

#: The providers' key variables: an offline run must not find any of them.
PROVIDER_KEYS = (
    "FAL_KEY",
    "REPLICATE_API_TOKEN",
    "OPENAI_API_KEY",
    "ELEVENLABS_API_KEY",
    "GEMINI_API_KEY",
    "COMFYUI_API_KEY",
)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No API keys, and any HTTP request fails the test."""
    for key in PROVIDER_KEYS:
        monkeypatch.delenv(key, raising=False)

    async def no_network(self: httpx.AsyncClient, request: httpx.Request, **_: Any) -> None:
        raise AssertionError(f"an offline run touched the network: {request.url}")

    monkeypatch.setattr(httpx.AsyncClient, "send", no_network)
