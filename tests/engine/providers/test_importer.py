"""spec_from_openapi: stored fal and Replicate schemas become nodes that validate and run."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from engine.artifacts import ArtifactStore
from engine.catalog import (
    Catalog,
    Category,
    NodeSpec,
    ParamKind,
    PortType,
    Pricing,
    PricingUnit,
)
from engine.catalog.importer import SchemaImportError, spec_from_openapi
from engine.executor import ExecutionState, Executor, RunOptions
from engine.providers import FAST_POLL, make_hosted_node
from engine.validation import validate
from engine.values import Artifact, decode_value
from engine.workflow import Workflow
from tests.engine.conftest import build_test_catalog
from tests.engine.providers.conftest import FAL_KEY, REPLICATE_TOKEN, load_fixture
from tests.engine.providers.doubles import FalDouble, ReplicateDouble

FLUX_DEV = "fal-ai/flux/dev"
KLING = "fal-ai/kling-video/v2.1/standard/image-to-video"
FLUX_PRO = "black-forest-labs/flux-1.1-pro"


def flux_dev() -> NodeSpec:
    return spec_from_openapi(
        load_fixture("fal_flux_dev.openapi.json"),
        provider="fal",
        model_id=FLUX_DEV,
        pricing=Pricing(unit=PricingUnit.PER_IMAGE, credits=2.5, quantity_param="num_images"),
    )


def kling() -> NodeSpec:
    return spec_from_openapi(
        load_fixture("fal_kling_v2_1_image_to_video.openapi.json"), provider="fal", model_id=KLING
    )


def flux_pro() -> NodeSpec:
    return spec_from_openapi(
        load_fixture("replicate_flux_1_1_pro.model.json"), provider="replicate", model_id=FLUX_PRO
    )


def test_a_fal_schema_becomes_a_text_to_image_node() -> None:
    spec = flux_dev()

    assert (spec.type, spec.category, spec.provider, spec.model_id) == (
        "fal.fal-ai-flux-dev",
        Category.IMAGE,
        "fal",
        FLUX_DEV,
    )
    assert spec.source == "https://fal.ai/models/fal-ai/flux/dev/api"
    assert [(p.name, p.type, p.required) for p in spec.inputs] == [("prompt", PortType.TEXT, True)]
    assert [(p.name, p.type) for p in spec.outputs] == [("image", PortType.IMAGE)]
    assert spec.provider_options["output_paths"] == {"image": "images[0]"}
    names = [p.name for p in spec.params]
    assert names == [  # fal's display order; sync_mode is the adapter's business
        "prompt",
        "image_size",
        "num_inference_steps",
        "seed",
        "guidance_scale",
        "num_images",
        "enable_safety_checker",
        "output_format",
        "acceleration",
    ]
    size = spec.param("image_size")
    assert size is not None and size.kind == ParamKind.ENUM
    assert size.default == "landscape_4_3" and size.choices is not None
    assert "square_hd" in size.choices
    steps = spec.param("num_inference_steps")
    assert steps is not None and (steps.default, steps.minimum, steps.maximum) == (28, 1, 50)
    guidance = spec.param("guidance_scale")
    assert guidance is not None and (guidance.kind, guidance.default) == (ParamKind.NUMBER, 3.5)
    seed = spec.param("seed")
    assert seed is not None and seed.kind == ParamKind.SEED and seed.default is None
    prompt = spec.param("prompt")
    assert prompt is not None and prompt.kind == ParamKind.TEXT and not prompt.required
    assert spec.pricing.estimate({"num_images": 3}) == 7.5
    json.dumps(spec.export())  # catalog JSON


def test_a_fal_image_to_video_schema_maps_the_image_url_field() -> None:
    spec = kling()

    assert spec.category == Category.VIDEO
    assert [(p.name, p.type, p.required) for p in spec.inputs] == [
        ("prompt", PortType.TEXT, True),
        ("image", PortType.IMAGE, True),
    ]
    assert spec.provider_options["input_fields"] == {"image": "image_url"}
    assert spec.provider_options["output_paths"] == {"video": "video"}
    duration = spec.param("duration")
    assert duration is not None and (duration.choices, duration.default) == (("5", "10"), "5")
    negative = spec.param("negative_prompt")
    assert negative is not None and negative.default == "blur, distort, and low quality"


def test_a_replicate_model_schema_becomes_a_node() -> None:
    spec = flux_pro()

    assert (spec.type, spec.category) == (
        "replicate.black-forest-labs-flux-1-1-pro",
        Category.IMAGE,
    )
    assert spec.source == "https://replicate.com/black-forest-labs/flux-1.1-pro/api"
    assert spec.description.startswith("Faster, better FLUX Pro.")
    assert [(p.name, p.type, p.required) for p in spec.inputs] == [
        ("prompt", PortType.TEXT, True),
        ("image_prompt", PortType.IMAGE, False),
    ]
    assert spec.provider_options == {
        "input_fields": {},
        "output_paths": {"image": ""},
        "imported_from": "openapi",
    }
    assert [p.name for p in spec.params] == [  # Cog's x-order
        "prompt",
        "aspect_ratio",
        "width",
        "height",
        "output_format",
        "output_quality",
        "safety_tolerance",
        "seed",
        "prompt_upsampling",
    ]
    ratio = spec.param("aspect_ratio")
    assert ratio is not None and ratio.kind == ParamKind.ENUM and ratio.default == "1:1"
    assert ratio.choices is not None and "16:9" in ratio.choices
    output_format = spec.param("output_format")
    assert output_format is not None and output_format.default == "webp"
    tolerance = spec.param("safety_tolerance")
    assert tolerance is not None and (tolerance.minimum, tolerance.maximum) == (1, 6)


def test_a_bare_cog_schema_and_a_version_object_import_the_same() -> None:
    model = load_fixture("replicate_flux_1_1_pro.model.json")
    version = model["latest_version"]
    bare = version["openapi_schema"]
    from_version = spec_from_openapi(version, provider="replicate", model_id=FLUX_PRO)
    from_bare = spec_from_openapi(bare, provider="replicate", model_id=FLUX_PRO)
    assert from_version.params == from_bare.params == flux_pro().params
    assert from_bare.outputs == flux_pro().outputs


def test_documents_without_schemas_are_refused() -> None:
    with pytest.raises(SchemaImportError, match="no input and output schemas"):
        spec_from_openapi({"openapi": "3.0.4", "paths": {}}, provider="fal", model_id="a/b")
    with pytest.raises(SchemaImportError, match="no OpenAPI importer"):
        spec_from_openapi({}, provider="elevenlabs", model_id="x")


def _workflow() -> Workflow:
    return Workflow.model_validate(
        {
            "name": "imported models",
            "nodes": [
                {
                    "id": "brief",
                    "type": "test.text",
                    "data": {"name": "brief", "default": "a red sneaker"},
                },
                {"id": "still", "type": "fal.fal-ai-flux-dev", "data": {"image_size": "square"}},
                {
                    "id": "clip",
                    "type": "fal.fal-ai-kling-video-v2-1-standard-image-to-video",
                    "data": {"duration": "10"},
                },
                {
                    "id": "poster",
                    "type": "replicate.black-forest-labs-flux-1-1-pro",
                    "data": {"aspect_ratio": "16:9"},
                },
            ],
            "edges": [
                {
                    "id": "e1",
                    "source": "brief",
                    "sourceHandle": "text",
                    "target": "still",
                    "targetHandle": "prompt",
                },
                {
                    "id": "e2",
                    "source": "still",
                    "sourceHandle": "image",
                    "target": "clip",
                    "targetHandle": "image",
                },
                {
                    "id": "e3",
                    "source": "brief",
                    "sourceHandle": "text",
                    "target": "clip",
                    "targetHandle": "prompt",
                },
                {
                    "id": "e4",
                    "source": "brief",
                    "sourceHandle": "text",
                    "target": "poster",
                    "targetHandle": "prompt",
                },
            ],
        }
    )


def _catalog() -> Catalog:
    catalog = build_test_catalog()
    for spec in (flux_dev(), kling(), flux_pro()):
        catalog.register(spec, make_hosted_node(spec, poll=FAST_POLL))
    return catalog


def test_imported_nodes_validate_in_a_workflow() -> None:
    assert validate(_workflow(), _catalog()) == []


async def test_imported_nodes_run_against_the_doubles(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with FalDouble(key=FAL_KEY) as fal, ReplicateDouble(token=REPLICATE_TOKEN) as replicate:
        monkeypatch.setenv("PATCHBAY_FAL_BASE_URL", fal.url)
        monkeypatch.setenv("FAL_KEY", FAL_KEY)
        monkeypatch.setenv("PATCHBAY_REPLICATE_BASE_URL", replicate.url)
        monkeypatch.setenv("REPLICATE_API_TOKEN", REPLICATE_TOKEN)
        fal.kinds[KLING] = "video"
        store = ArtifactStore(tmp_path / "artifacts")
        executor = Executor(_catalog(), artifacts=store, base_dir=tmp_path)

        record = await executor.run(_workflow(), RunOptions())

        assert record.status == ExecutionState.COMPLETED, record.model_dump_json()
        clip = decode_value(record.outputs["clip"])
        poster = decode_value(record.outputs["poster"])
        assert isinstance(clip, Artifact) and clip.kind == PortType.VIDEO
        assert clip.media_type == "video/mp4"
        assert isinstance(poster, Artifact) and poster.media_type == "image/webp"
        assert (poster.metadata["width"], poster.metadata["height"]) == (64, 36)
        assert record.node("still").credits == 2.5

        still_body = fal.calls("POST", "/fal-ai/flux/dev")[0].json
        assert still_body == {
            "prompt": "a red sneaker",
            "image_size": "square",
            "num_inference_steps": 28,
            "guidance_scale": 3.5,
            "num_images": 1,
            "enable_safety_checker": True,
            "output_format": "jpeg",
            "acceleration": "none",
        }
        clip_body = fal.calls("POST", "/fal-ai/kling-video")[0].json
        assert clip_body["prompt"] == "a red sneaker" and clip_body["duration"] == "10"
        header, _, payload = clip_body["image_url"].partition(",")
        assert header == "data:image/png;base64"
        assert base64.b64decode(payload)[:8] == b"\x89PNG\r\n\x1a\n"
        poster_body = replicate.calls("POST")[0].json
        assert poster_body["input"]["aspect_ratio"] == "16:9"
        assert poster_body["input"]["output_format"] == "webp"
