"""Realistic node types for widget tests, independent of the shipped catalog."""

from __future__ import annotations

from typing import Any

from engine.catalog.registry import Catalog
from engine.catalog.spec import (
    Category,
    NodeSpec,
    ParamKind,
    ParamSpec,
    PortSpec,
    PortType,
    Pricing,
    PricingUnit,
)
from engine.nodes.base import NodeContext

P = ParamSpec
K = ParamKind
T = PortType


def _noop(context: NodeContext, inputs: dict[str, Any]) -> dict[str, Any]:
    return {}


def _port(name: str, kind: PortType, **extra: Any) -> PortSpec:
    return PortSpec(name=name, type=kind, **extra)


SPECS: tuple[NodeSpec, ...] = (
    NodeSpec(
        type="input.text",
        category=Category.INPUT,
        display_name="Text input",
        description="A text value supplied when the workflow runs.",
        aliases=("string", "prompt input"),
        outputs=(_port("text", T.TEXT),),
        params=(
            P(name="name", kind=K.STRING, required=True, description="Name of the run input"),
            P(name="default", kind=K.TEXT, description="Used when the run gives no value"),
        ),
    ),
    NodeSpec(
        type="input.image",
        category=Category.INPUT,
        display_name="Image input",
        description="An image file picked on this machine.",
        outputs=(_port("image", T.IMAGE),),
        params=(P(name="path", kind=K.FILE, accept=T.IMAGE, description="Image file"),),
    ),
    NodeSpec(
        type="image.flux-2-pro",
        category=Category.IMAGE,
        display_name="Flux 2 Pro",
        description="Text-to-image with FLUX.2 [pro] on fal: sharp typography, fine detail.",
        aliases=("text to image", "t2i", "bfl"),
        inputs=(_port("prompt", T.TEXT), _port("image", T.IMAGE, required=False)),
        outputs=(_port("image", T.IMAGE),),
        params=(
            P(name="prompt", kind=K.TEXT, required=True, description="What to draw"),
            P(
                name="aspect_ratio",
                kind=K.ENUM,
                choices=("1:1", "16:9", "9:16", "4:3", "3:4"),
                default="1:1",
                description="Shape of the image",
            ),
            P(
                name="guidance",
                kind=K.NUMBER,
                minimum=1.5,
                maximum=10,
                step=0.1,
                default=3.5,
                description="How closely to follow the prompt",
            ),
            P(
                name="steps",
                kind=K.INTEGER,
                minimum=1,
                maximum=50,
                default=28,
                description="Denoising steps",
            ),
            P(
                name="seed",
                kind=K.SEED,
                minimum=0,
                maximum=2**32 - 1,
                description="Same seed, same image",
            ),
            P(name="safety_checker", kind=K.BOOLEAN, default=True, description="Filter NSFW"),
        ),
        provider="fal",
        pricing=Pricing(unit=PricingUnit.PER_IMAGE, credits=5),
    ),
    NodeSpec(
        type="image.resize",
        category=Category.EDITING,
        display_name="Resize image",
        description="Scale an image to a width and height.",
        aliases=("scale", "thumbnail"),
        inputs=(_port("image", T.IMAGE),),
        outputs=(_port("image", T.IMAGE),),
        params=(
            P(name="width", kind=K.INTEGER, minimum=1, maximum=8192, default=1024),
            P(name="height", kind=K.INTEGER, minimum=1, maximum=8192, default=1024),
            P(name="fit", kind=K.ENUM, choices=("contain", "cover", "stretch"), default="cover"),
        ),
    ),
    NodeSpec(
        type="image.upscale",
        category=Category.EDITING,
        display_name="Upscale image",
        description="Enlarge an image with a super-resolution model.",
        aliases=("enlarge", "super resolution"),
        inputs=(_port("image", T.IMAGE),),
        outputs=(_port("image", T.IMAGE),),
        params=(P(name="scale", kind=K.INTEGER, minimum=2, maximum=4, default=2),),
        provider="fal",
        pricing=Pricing(unit=PricingUnit.PER_MEGAPIXEL, credits=1),
    ),
    NodeSpec(
        type="image.caption",
        category=Category.EDITING,
        display_name="Caption image",
        description="Draw a caption onto an image.",
        inputs=(_port("image", T.IMAGE), _port("text", T.TEXT)),
        outputs=(_port("image", T.IMAGE),),
        params=(
            P(name="color", kind=K.COLOR, default="#ffffff", description="Text colour"),
            P(name="size", kind=K.NUMBER, minimum=0.01, maximum=0.5, default=0.06),
        ),
    ),
    NodeSpec(
        type="video.kling-2-1-image-to-video",
        category=Category.VIDEO,
        display_name="Kling 2.1 image to video",
        description="Animate a still image into a short clip.",
        aliases=("i2v", "animate"),
        inputs=(_port("image", T.IMAGE), _port("prompt", T.TEXT, required=False)),
        outputs=(_port("video", T.VIDEO),),
        params=(P(name="duration_s", kind=K.ENUM, choices=(5, 10), default=5),),
        provider="fal",
        pricing=Pricing(unit=PricingUnit.PER_SECOND, credits=10, quantity_param="duration_s"),
    ),
    NodeSpec(
        type="audio.tts",
        category=Category.AUDIO,
        display_name="Text to speech",
        description="Speak a text with a synthetic voice.",
        aliases=("voice over", "speech"),
        inputs=(_port("text", T.TEXT),),
        outputs=(_port("audio", T.AUDIO),),
        params=(P(name="voice", kind=K.ENUM, choices=("alloy", "verse"), default="alloy"),),
    ),
    NodeSpec(
        type="text.template",
        category=Category.TEXT,
        display_name="Text template",
        description="Fill {placeholders} in a template with the inputs.",
        aliases=("format", "string format"),
        inputs=(_port("text", T.TEXT, required=False), _port("count", T.NUMBER, required=False)),
        outputs=(_port("text", T.TEXT),),
        params=(P(name="template", kind=K.TEXT, default="{text}", required=True),),
    ),
    NodeSpec(
        type="text.concat",
        category=Category.TEXT,
        display_name="Join texts",
        description="Join two texts with a separator.",
        aliases=("concatenate",),
        inputs=(_port("a", T.TEXT), _port("b", T.TEXT)),
        outputs=(_port("text", T.TEXT),),
        params=(P(name="separator", kind=K.STRING, default=" "),),
    ),
    NodeSpec(
        type="utility.json",
        category=Category.UTILITY,
        display_name="JSON value",
        description="A constant JSON value.",
        outputs=(_port("json", T.JSON),),
        params=(P(name="value", kind=K.JSON, default={}),),
    ),
    NodeSpec(
        type="utility.math",
        category=Category.UTILITY,
        display_name="Math",
        description="Arithmetic on two numbers.",
        inputs=(_port("a", T.NUMBER), _port("b", T.NUMBER, required=False)),
        outputs=(_port("result", T.NUMBER),),
        params=(P(name="op", kind=K.ENUM, choices=("+", "-", "*", "/"), default="+"),),
    ),
    NodeSpec(
        type="output.image",
        category=Category.OUTPUT,
        display_name="Image output",
        description="Marks an image as a result of the workflow.",
        inputs=(_port("image", T.IMAGE),),
        params=(P(name="name", kind=K.STRING, default="image"),),
    ),
    NodeSpec(
        type="output.video",
        category=Category.OUTPUT,
        display_name="Video output",
        description="Marks a video as a result of the workflow.",
        inputs=(_port("video", T.VIDEO),),
    ),
)


def sample_catalog() -> Catalog:
    """A small catalog with one node type of each common shape."""
    catalog = Catalog()
    for spec in SPECS:
        catalog.register(spec, _noop)
    return catalog


def large_catalog(count: int = 200) -> Catalog:
    """``count`` node types spread over every category (for speed checks)."""
    catalog = sample_catalog()
    categories = list(Category)
    index = 0
    while len(catalog) < count:
        category = categories[index % len(categories)]
        spec = NodeSpec(
            type=f"{category.value}.generated-{index}",
            category=category,
            display_name=f"Generated {category.value} node {index}",
            description=f"Generated node number {index} for a large catalog.",
            aliases=(f"gen{index}",),
            inputs=(_port("in", T.TEXT),),
            outputs=(_port("out", T.IMAGE),),
        )
        catalog.register(spec, _noop)
        index += 1
    return catalog
