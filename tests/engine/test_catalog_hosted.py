"""The hosted model catalog: ~200 provider nodes declared as data, as users see them."""

from __future__ import annotations

import importlib.resources
import inspect
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from engine.catalog import Category, NodeSpec, ParamKind, PortType, PricingUnit, default_catalog
from engine.catalog.hosted import (
    DATA_FILES,
    HOSTED_PROVIDERS,
    HostedCatalogError,
    load_specs,
    specs_from_document,
)
from engine.cli import main
from engine.validation import Severity, ViolationCode, validate

REPO = Path(__file__).resolve().parents[2]
TYPE_ID = re.compile(r"^(image|editing|video|audio|3d|text)\.[a-z0-9]+(?:-[a-z0-9]+)*$")
HOSTED = load_specs()


def _hosted() -> list[NodeSpec]:
    return [spec for spec in default_catalog() if spec.provider != "local"]


def _self_hosted(spec: NodeSpec) -> bool:
    return spec.provider_options.get("self_hosted") is True


def test_the_default_catalog_has_at_least_160_hosted_node_types() -> None:
    hosted = _hosted()
    assert len(hosted) >= 160
    # Every hosted node comes from the data files, except the ComfyUI node that
    # wraps a user's own workflow file (engine/nodes/comfyui_workflow.py).
    assert {spec.type for spec in hosted} == {spec.type for spec in HOSTED} | {"comfyui.workflow"}
    assert {spec.provider for spec in hosted} == HOSTED_PROVIDERS


def test_type_ids_are_unique_well_formed_and_start_with_the_category() -> None:
    counts = Counter(spec.type for spec in HOSTED)
    assert [t for t, n in counts.items() if n > 1] == []
    for spec in HOSTED:
        assert TYPE_ID.match(spec.type), spec.type
        assert spec.type.split(".")[0] == spec.category.value, spec.type


@pytest.mark.parametrize("spec", HOSTED, ids=lambda s: s.type)
def test_every_hosted_entry_is_complete(spec: NodeSpec) -> None:
    assert spec.provider in HOSTED_PROVIDERS
    assert spec.model_id and spec.model_id.strip() == spec.model_id
    assert spec.source and spec.source.startswith(("https://", "http://")), spec.source
    assert "{" not in spec.source, "the source template was not filled in"
    assert spec.display_name.strip() and spec.description.strip() and spec.aliases
    assert spec.inputs and spec.outputs, "a hosted node has ports to wire"
    for group in (spec.inputs, spec.outputs, spec.params):
        names = [item.name for item in group]
        assert len(names) == len(set(names)), f"duplicate names in {names}"
    for port in (*spec.inputs, *spec.outputs):
        assert port.description, f"port {port.name} has no description"
    output_paths = spec.provider_options.get("output_paths", {})
    assert set(output_paths) == {port.name for port in spec.outputs}, "where each output is"
    json.dumps(spec.provider_options)  # JSON data only


@pytest.mark.parametrize("spec", HOSTED, ids=lambda s: s.type)
def test_defaults_pass_their_own_checks_and_the_schema_says_so(spec: NodeSpec) -> None:
    schema = spec.params_json_schema()
    assert schema["type"] == "object"
    assert list(schema["properties"]) == [p.name for p in spec.params]
    for param in spec.params:
        assert param.description, f"param {param.name} has no description"
        assert param.label, f"param {param.name} has no label"
        prop = schema["properties"][param.name]
        if param.default is not None:
            assert param.check(param.default) is None, f"default of {param.name} is invalid"
            assert prop["default"] == param.default
        if param.kind == ParamKind.ENUM:
            assert param.choices, f"enum {param.name} has no choices"
            assert prop["enum"] == list(param.choices)
            assert param.default is None or param.default in param.choices
        if param.minimum is not None and param.maximum is not None:
            assert param.minimum <= param.maximum


@pytest.mark.parametrize("spec", HOSTED, ids=lambda s: s.type)
def test_a_text_input_can_be_typed_in_or_wired(spec: NodeSpec) -> None:
    for port in spec.inputs:
        if port.type == PortType.TEXT:
            param = spec.param(port.name)
            assert param is not None and param.kind == ParamKind.TEXT, port.name


@pytest.mark.parametrize("spec", HOSTED, ids=lambda s: s.type)
def test_pricing_estimates_credits_with_the_default_params(spec: NodeSpec) -> None:
    estimate = spec.pricing.estimate(spec.resolved_params({}))
    if _self_hosted(spec):
        assert spec.pricing.unit == PricingUnit.FREE and estimate == 0
    else:
        assert estimate > 0
    quantity = spec.pricing.quantity_param
    if quantity is not None:
        assert spec.param(quantity) is not None, f"pricing reads the unknown param {quantity!r}"


def test_per_second_pricing_reads_the_duration_as_the_provider_spells_it() -> None:
    catalog = default_catalog()
    veo = catalog.spec("video.veo-3")
    assert veo.pricing.unit == PricingUnit.PER_SECOND
    assert veo.pricing.estimate(veo.resolved_params({})) == 320  # "8s" x 40 credits
    assert veo.pricing.estimate(veo.resolved_params({"duration": "4s"})) == 160
    kling = catalog.spec("video.kling-2-1-image-to-video")
    five = kling.pricing.estimate(kling.resolved_params({}))
    assert kling.pricing.estimate(kling.resolved_params({"duration": "10"})) == 2 * five


def test_speech_is_priced_by_the_characters_of_the_text() -> None:
    tts = default_catalog().spec("audio.elevenlabs-tts-multilingual-v2")
    short = tts.pricing.estimate(tts.resolved_params({"text": "Hello."}))
    long = tts.pricing.estimate(tts.resolved_params({"text": "Hello. " * 300}))
    assert 0 < short < long
    assert long == pytest.approx(2100 / 1000 * tts.pricing.credits)


def _inputs(spec: NodeSpec, kind: PortType) -> list[str]:
    return [p.name for p in spec.inputs if p.type == kind and p.required]


def _kinds(spec: NodeSpec) -> set[str]:
    """Which of the issue's capability lists ``spec`` belongs to."""
    aliases = set(spec.aliases)
    kinds = set()
    if spec.category == Category.IMAGE:
        kinds.add("image generation")
    if spec.category == Category.EDITING:
        if "upscale" in aliases:
            kinds.add("upscaling")
        elif "remove background" in aliases:
            kinds.add("background removal")
        elif spec.input("prompt") is not None or spec.input("mask") is not None:
            kinds.add("image editing")
    if spec.category == Category.VIDEO:
        needs_image = bool(_inputs(spec, PortType.IMAGE))
        kinds.add("image-to-video" if needs_image else "text-to-video")
    if spec.category == Category.AUDIO:
        kinds.add("text-to-speech" if spec.input("text") is not None else "music and sound")
    if spec.category == Category.THREE_D and (spec.input("image") or spec.input("images")):
        kinds.add("image-to-3d")
    if spec.category == Category.TEXT and spec.output("text") is not None:
        kinds.add("llm text")
    return kinds


def test_every_capability_the_issue_lists_is_covered() -> None:
    covered = Counter(kind for spec in HOSTED for kind in _kinds(spec))
    wanted = {
        "image generation": 30,
        "image editing": 10,
        "upscaling": 6,
        "background removal": 4,
        "text-to-video": 12,
        "image-to-video": 12,
        "text-to-speech": 10,
        "music and sound": 6,
        "image-to-3d": 5,
        "llm text": 10,
    }
    short = {kind: covered[kind] for kind, least in wanted.items() if covered[kind] < least}
    assert short == {}, f"too few nodes for {short}"
    inpainting = [s.type for s in HOSTED if s.input("mask") is not None]
    assert len(inpainting) >= 5


def test_the_models_the_issue_names_are_in_the_palette() -> None:
    model_ids = {spec.model_id for spec in HOSTED}
    for expected in (
        "fal-ai/flux-pro/v1.1-ultra",
        "fal-ai/flux-2-pro",
        "fal-ai/imagen4/preview",
        "fal-ai/recraft/v3/text-to-image",
        "fal-ai/ideogram/v3",
        "fal-ai/kling-video/v2.1/master/image-to-video",
        "fal-ai/veo3",
        "runwayml/gen4-turbo",
        "fal-ai/luma-dream-machine/ray-2",
        "fal-ai/minimax/hailuo-02/standard/image-to-video",
        "fal-ai/trellis",
        "fal-ai/clarity-upscaler",
        "fal-ai/birefnet",
        "gpt-image-1",
        "eleven_multilingual_v2",
        "veo-3.0-generate-001",
        "black-forest-labs/flux-schnell",
    ):
        assert expected in model_ids, expected


def test_local_openai_compatible_servers_take_a_base_url_and_cost_nothing() -> None:
    catalog = default_catalog()
    for node_type, port in (("text.ollama-chat", 11434), ("text.lm-studio-chat", 1234)):
        spec = catalog.spec(node_type)
        assert spec.provider == "openai" and _self_hosted(spec)
        base_url = spec.param(spec.provider_options["base_url_param"])
        assert base_url is not None and base_url.default == f"http://localhost:{port}"
        assert spec.provider_options["key_required"] is False
        assert spec.pricing.unit == PricingUnit.FREE


def test_every_registered_hosted_node_runs_through_one_async_implementation() -> None:
    catalog = default_catalog()
    for spec in _hosted():
        assert inspect.iscoroutinefunction(catalog.entry(spec.type).implementation), spec.type


def test_catalog_text_counts_the_hosted_categories(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    counts = {c.value: n for c, n in default_catalog().counts_by_category().items()}
    for category in ("image", "editing", "video", "audio", "3d", "text"):
        assert re.search(rf"^\s*{category}\s+{counts[category]}\s*$", out, re.MULTILINE), category
    assert "video.kling-2-1-image-to-video" in out


def test_catalog_json_lists_hosted_entries_with_provider_and_model_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["catalog", "--json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    hosted = [node for node in exported["nodes"] if node["provider"] != "local"]
    assert len(hosted) >= 160
    for node in hosted:
        assert node["provider"] in HOSTED_PROVIDERS and node["model_id"]
        assert node["inputs"] and node["outputs"] and node["source"]
        assert node["paramsSchema"]["type"] == "object"
        assert node["pricing"]["unit"] in {u.value for u in PricingUnit}
    flux = next(node for node in hosted if node["type"] == "image.flux-1-dev")
    assert flux["model_id"] == "fal-ai/flux/dev"
    assert flux["provider_options"]["output_paths"] == {"image": "images[0].url"}
    assert flux["paramsSchema"]["properties"]["num_inference_steps"]["maximum"] == 50


def _pipeline(**overrides: dict[str, Any]) -> dict[str, Any]:
    """brief -> text-to-image -> upscale -> image-to-video, brief -> text-to-speech."""
    data = {
        "brief": {"name": "brief", "default": "a red sneaker on wet asphalt"},
        "shot": {"image_size": "landscape_16_9", "seed": 7},
        "upscale": {"upscale_factor": 2},
        "clip": {"prompt": "slow dolly in, rain drops", "duration": "5"},
        "voice": {"voice": "nova"},
    }
    for node_id, values in overrides.items():
        data[node_id] = values
    types = {
        "brief": "input.text",
        "shot": "image.flux-1-dev",
        "upscale": "editing.clarity-upscaler",
        "clip": "video.kling-2-1-image-to-video",
        "voice": "audio.openai-tts-1",
    }
    wires = [
        ("brief", "text", "shot", "prompt"),
        ("shot", "image", "upscale", "image"),
        ("upscale", "image", "clip", "image"),
        ("brief", "text", "voice", "text"),
    ]
    return {
        "schemaVersion": 1,
        "name": "hosted pipeline",
        "nodes": [
            {"id": nid, "type": t, "position": {"x": 0, "y": 0}, "data": data[nid]}
            for nid, t in types.items()
        ],
        "edges": [
            {"id": f"e{i}", "source": s, "sourceHandle": sh, "target": t, "targetHandle": th}
            for i, (s, sh, t, th) in enumerate(wires)
        ],
    }


def test_a_workflow_of_hosted_nodes_validates() -> None:
    violations = validate(_pipeline())
    assert [v for v in violations if v.severity == Severity.ERROR] == []


def test_hosted_parameters_are_checked_against_the_provider_ranges() -> None:
    violations = validate(
        _pipeline(
            clip={"duration": "7"},
            upscale={"upscale_factor": 9},
        )
    )
    by_code = {(v.code, v.node_id, v.field): v for v in violations}
    enum = by_code[(ViolationCode.PARAM_NOT_IN_ENUM, "clip", "duration")]
    assert "'5'" in enum.message and "'10'" in enum.message
    assert (ViolationCode.PARAM_OUT_OF_RANGE, "upscale", "upscale_factor") in by_code
    missing = by_code[(ViolationCode.REQUIRED_INPUT_MISSING, "clip", "prompt")]
    assert missing.hint and "type a value" in missing.hint


def test_data_files_are_all_loaded_and_documented() -> None:
    package = importlib.resources.files("engine.catalog.hosted")
    on_disk = {item.name for item in package.iterdir() if item.name.endswith(".json")}
    assert on_disk == set(DATA_FILES)
    sources = (REPO / "docs" / "catalog-sources.md").read_text(encoding="utf-8")
    for name in DATA_FILES:
        assert f"`{name}`" in sources, f"docs/catalog-sources.md has no row for {name}"


def _document(**model: Any) -> dict[str, Any]:
    entry = {
        "type": "image.test-model",
        "family": "gen",
        "name": "Test",
        "model_id": "owner/test",
        "description": "A test model.",
    }
    entry.update(model)
    return {
        "provider": "fal",
        "source": "https://example.test/{model_id}",
        "ports": {
            "prompt": {"type": "text", "description": "Prompt."},
            "image": {"type": "image", "description": "Image."},
        },
        "params": {"seed": {"kind": "seed", "description": "Seed."}},
        "families": {
            "gen": {
                "category": "image",
                "inputs": ["prompt"],
                "outputs": ["image"],
                "params": [
                    "seed",
                    {"name": "steps", "kind": "integer", "default": 4, "description": "Steps."},
                ],
                "provider_options": {"output_paths": {"image": "images[0].url"}, "endpoint": "/a"},
                "pricing": {"unit": "per_image", "credits": 1},
            }
        },
        "models": [entry],
    }


def test_a_model_entry_is_its_family_plus_what_differs() -> None:
    (spec,) = specs_from_document(
        _document(
            params=[{"name": "steps", "default": 8, "maximum": 12}],
            provider_options={"output_paths": {"extra": "x"}, "endpoint": "/b"},
            pricing={"unit": "per_run", "credits": 2},
        )
    )
    assert [p.name for p in spec.params] == ["prompt", "seed", "steps"]
    steps = spec.param("steps")
    assert steps is not None and (steps.default, steps.maximum, steps.label) == (8, 12, "Steps")
    assert spec.provider_options == {
        "output_paths": {"image": "images[0].url", "extra": "x"},
        "endpoint": "/b",
    }
    assert spec.pricing.estimate({}) == 2
    assert spec.source == "https://example.test/owner/test"


@pytest.mark.parametrize(
    ("model", "complaint"),
    [
        ({"colour": "red"}, "unknown keys colour"),
        ({"family": "nope"}, "unknown family"),
        ({"type": "video.test-model"}, "does not start with its category"),
        ({"type": "image.Test_Model"}, "is not '<category>.<slug>'"),
        ({"drop_params": ["cfg"]}, "drop_params names 'cfg'"),
        ({"params": [{"use": "sampler"}]}, "no param called 'sampler'"),
    ],
)
def test_mistakes_in_the_data_are_reported_with_where(
    model: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(HostedCatalogError, match=re.escape(complaint)):
        specs_from_document(_document(**model), origin="test.json")
