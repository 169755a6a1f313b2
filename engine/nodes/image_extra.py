"""More local image nodes (Pillow): upscale, blur, sharpen, masks and background fill.

Masks travel as greyscale PNG artifacts of kind ``mask`` (white = selected /
visible, black = not), the convention ``image.composite`` already follows.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.nodes.base import NodeContext
from engine.nodes.image import (
    IMAGE_OUT,
    RESAMPLING,
    check_size,
    filename_of,
    image_port,
    open_image,
    parse_color,
    resize_image,
    store_image,
)
from engine.values import Artifact

MASK_OUT = PortSpec(
    name="mask",
    type=PortType.MASK,
    description="Greyscale mask the size of the image: white = selected, black = not.",
)


def store_mask(ctx: NodeContext, mask: Image.Image, *, filename: str | None = None) -> Artifact:
    """Store a greyscale image as a PNG mask artifact."""
    check_size(mask.width, mask.height)
    buffer = io.BytesIO()
    mask.convert("L").save(buffer, format="PNG", compress_level=6)
    return ctx.artifacts.put_bytes(
        buffer.getvalue(),
        kind=PortType.MASK,
        media_type="image/png",
        filename=f"{filename.rsplit('.', 1)[0]}-mask.png" if filename else None,
        metadata={"width": mask.width, "height": mask.height},
    )


def _feather(name: str = "feather") -> ParamSpec:
    return ParamSpec(
        name=name,
        kind=ParamKind.NUMBER,
        label="Feather",
        default=0.0,
        minimum=0.0,
        maximum=200.0,
        step=0.5,
        description="Blur radius in pixels that softens the mask's edges; 0 = hard edges.",
    )


def _invert() -> ParamSpec:
    return ParamSpec(
        name="invert",
        kind=ParamKind.BOOLEAN,
        label="Invert",
        default=False,
        description="Swap white and black.",
    )


def _finish_mask(mask: Image.Image, params: Mapping[str, Any]) -> Image.Image:
    radius = float(params.get("feather") or 0)
    if radius > 0:
        mask = mask.filter(ImageFilter.GaussianBlur(radius))
    return ImageChops.invert(mask) if params.get("invert") else mask


# ---------------------------------------------------------------- image.upscale

UPSCALE = NodeSpec(
    type="image.upscale",
    category=Category.EDITING,
    display_name="Upscale Image (Lanczos)",
    description="Enlarge an image 2x or 4x with a Lanczos filter, on this machine and free. "
    "It adds no detail; use a hosted upscaler for that.",
    aliases=("enlarge", "upsample", "bigger", "2x", "4x", "super resolution"),
    inputs=(image_port(),),
    outputs=(IMAGE_OUT,),
    params=(
        ParamSpec(
            name="factor",
            kind=ParamKind.ENUM,
            label="Factor",
            default=2,
            choices=(2, 4),
            description="How many times wider and taller the result is.",
        ),
        ParamSpec(
            name="resample",
            kind=ParamKind.ENUM,
            label="Resampling",
            default="lanczos",
            choices=tuple(RESAMPLING),
            description="lanczos is sharpest; nearest keeps pixel art blocky.",
        ),
    ),
)


def run_upscale(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Scale the image up by the factor."""
    image = open_image(ctx, inputs.get("image"))
    factor = int(ctx.params["factor"])
    size = (image.width * factor, image.height * factor)
    check_size(*size)
    result = image.resize(size, RESAMPLING[str(ctx.params["resample"])])
    return {"image": store_image(ctx, result, filename=filename_of(inputs.get("image")))}


# ---------------------------------------------------------------- image.blur

BLUR = NodeSpec(
    type="image.blur",
    category=Category.EDITING,
    display_name="Blur Image",
    description="Soften an image with a Gaussian or box blur.",
    aliases=("soften", "gaussian", "defocus", "smooth", "bokeh"),
    inputs=(image_port(),),
    outputs=(IMAGE_OUT,),
    params=(
        ParamSpec(
            name="radius",
            kind=ParamKind.NUMBER,
            label="Radius",
            default=4.0,
            minimum=0.0,
            maximum=250.0,
            step=0.5,
            description="Blur radius in pixels; 0 leaves the image unchanged.",
        ),
        ParamSpec(
            name="kind",
            kind=ParamKind.ENUM,
            label="Kind",
            default="gaussian",
            choices=("gaussian", "box"),
            description="gaussian looks natural; box is flatter and faster.",
        ),
    ),
)


def run_blur(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Blur the image."""
    image = open_image(ctx, inputs.get("image"))
    radius = float(ctx.params["radius"])
    if radius > 0:
        kind = ImageFilter.GaussianBlur if ctx.params["kind"] == "gaussian" else ImageFilter.BoxBlur
        image = image.filter(kind(radius))
    return {"image": store_image(ctx, image, filename=filename_of(inputs.get("image")))}


# ---------------------------------------------------------------- image.sharpen

SHARPEN = NodeSpec(
    type="image.sharpen",
    category=Category.EDITING,
    display_name="Sharpen Image",
    description="Crisp up edges with an unsharp mask (amount, radius, threshold).",
    aliases=("unsharp mask", "crisp", "detail", "clarity", "enhance edges"),
    inputs=(image_port(),),
    outputs=(IMAGE_OUT,),
    params=(
        ParamSpec(
            name="amount",
            kind=ParamKind.INTEGER,
            label="Amount",
            default=150,
            minimum=0,
            maximum=500,
            description="Strength in percent; 0 leaves the image unchanged.",
        ),
        ParamSpec(
            name="radius",
            kind=ParamKind.NUMBER,
            label="Radius",
            default=2.0,
            minimum=0.0,
            maximum=50.0,
            step=0.5,
            description="Size of the edges that are sharpened, in pixels.",
        ),
        ParamSpec(
            name="threshold",
            kind=ParamKind.INTEGER,
            label="Threshold",
            default=3,
            minimum=0,
            maximum=255,
            description="Smallest brightness difference that counts as an edge (keeps noise "
            "in flat areas down).",
        ),
    ),
)


def run_sharpen(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Apply the unsharp mask."""
    image = open_image(ctx, inputs.get("image"))
    params = ctx.params
    sharpened = image.filter(
        ImageFilter.UnsharpMask(
            radius=float(params["radius"]),
            percent=int(params["amount"]),
            threshold=int(params["threshold"]),
        )
    )
    return {"image": store_image(ctx, sharpened, filename=filename_of(inputs.get("image")))}


# ---------------------------------------------------------------- image.mask_from_color

MASK_FROM_COLOR = NodeSpec(
    type="image.mask_from_color",
    category=Category.EDITING,
    display_name="Mask from Colour",
    description="Select the pixels close to a colour (a green screen, a white studio "
    "background): white where the colour matches, black elsewhere.",
    aliases=("chroma key", "green screen", "color key", "select colour", "magic wand"),
    inputs=(image_port(),),
    outputs=(MASK_OUT,),
    params=(
        ParamSpec(
            name="color",
            kind=ParamKind.COLOR,
            label="Colour",
            default="#00ff00",
            description="The colour to select.",
        ),
        ParamSpec(
            name="tolerance",
            kind=ParamKind.INTEGER,
            label="Tolerance",
            default=40,
            minimum=0,
            maximum=442,
            description="How far (RGB distance, 0..442) a pixel may be from the colour and "
            "still be selected.",
        ),
        _feather(),
        _invert(),
    ),
)


def run_mask_from_color(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Select the pixels near the colour."""
    image = open_image(ctx, inputs.get("image"))
    red, green, blue, _ = parse_color(str(ctx.params["color"]))
    pixels = np.asarray(image.convert("RGB"), dtype=np.int32)
    distance = np.sqrt(np.sum((pixels - np.array([red, green, blue])) ** 2, axis=2))
    selected = (distance <= int(ctx.params["tolerance"])).astype(np.uint8) * 255
    mask = _finish_mask(Image.fromarray(selected), ctx.params)
    return {"mask": store_mask(ctx, mask, filename=filename_of(inputs.get("image")))}


# ---------------------------------------------------------------- image.mask_from_alpha

MASK_FROM_ALPHA = NodeSpec(
    type="image.mask_from_alpha",
    category=Category.EDITING,
    display_name="Mask from Transparency",
    description="Turn an image's transparency into a mask: opaque = white, transparent = "
    "black (a cut-out from background removal becomes a subject mask).",
    aliases=("alpha to mask", "cutout mask", "subject mask", "transparency", "matte"),
    inputs=(image_port(),),
    outputs=(MASK_OUT,),
    params=(
        ParamSpec(
            name="threshold",
            kind=ParamKind.INTEGER,
            label="Threshold",
            default=0,
            minimum=0,
            maximum=255,
            description="0 keeps soft edges; above 0, alpha at or above it becomes white and "
            "the rest black.",
        ),
        _feather(),
        _invert(),
    ),
)


def run_mask_from_alpha(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Read the alpha channel as a mask (an image without one is fully opaque)."""
    image = open_image(ctx, inputs.get("image"))
    alpha = image.getchannel("A") if image.mode == "RGBA" else Image.new("L", image.size, 255)
    threshold = int(ctx.params["threshold"])
    if threshold > 0:
        alpha = alpha.point(lambda v: 255 if v >= threshold else 0)
    mask = _finish_mask(alpha, ctx.params)
    return {"mask": store_mask(ctx, mask, filename=filename_of(inputs.get("image")))}


# ---------------------------------------------------------------- image.background_fill

BACKGROUND_FILL = NodeSpec(
    type="image.background_fill",
    category=Category.EDITING,
    display_name="Fill Background",
    description="Put a cut-out on a solid colour or a background picture: transparent areas "
    "(or the black part of a mask) show the background. The result is opaque.",
    aliases=("replace background", "flatten", "backdrop", "matte fill", "remove transparency"),
    inputs=(
        image_port(description="The subject (transparent where the background should show)."),
        PortSpec(
            name="mask",
            type=PortType.MASK,
            required=False,
            description="Optional mask of the subject (white = keep); replaces the transparency.",
        ),
        PortSpec(
            name="background",
            type=PortType.IMAGE,
            required=False,
            description="Optional background picture, scaled to cover; else the colour.",
        ),
    ),
    outputs=(IMAGE_OUT,),
    params=(
        ParamSpec(
            name="color",
            kind=ParamKind.COLOR,
            label="Colour",
            default="#ffffff",
            description="Background colour when no background picture is wired.",
        ),
    ),
)


def run_background_fill(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Composite the subject over the background."""
    subject = open_image(ctx, inputs.get("image")).convert("RGBA")
    if inputs.get("mask") is not None:
        mask = open_image(ctx, inputs["mask"], what="mask").convert("L")
        if mask.size != subject.size:
            raise PermanentNodeError(
                f"the mask is {mask.width}x{mask.height} but the image is "
                f"{subject.width}x{subject.height}; resize the mask to match"
            )
        subject.putalpha(ImageChops.multiply(subject.getchannel("A"), mask))
    if inputs.get("background") is not None:
        picture = open_image(ctx, inputs["background"], what="background")
        backdrop = resize_image(picture, subject.width, subject.height, mode="fill").convert("RGBA")
    else:
        red, green, blue, _ = parse_color(str(ctx.params["color"]))
        backdrop = Image.new("RGBA", subject.size, (red, green, blue, 255))
    backdrop.alpha_composite(subject)
    result = backdrop.convert("RGB")
    return {"image": store_image(ctx, result, filename=filename_of(inputs.get("image")))}


def register(catalog: Catalog) -> None:
    """Register upscale, blur, sharpen, the two mask nodes and background fill."""
    catalog.register(UPSCALE, run_upscale)
    catalog.register(BLUR, run_blur)
    catalog.register(SHARPEN, run_sharpen)
    catalog.register(MASK_FROM_COLOR, run_mask_from_color)
    catalog.register(MASK_FROM_ALPHA, run_mask_from_alpha)
    catalog.register(BACKGROUND_FILL, run_background_fill)
