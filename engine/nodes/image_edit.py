"""Local image editing nodes (Pillow): resize, crop, rotate, adjust, composite."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from PIL import Image, ImageChops, ImageEnhance

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.nodes.base import NodeContext
from engine.nodes.image import (
    IMAGE_OUT,
    MAX_SIDE,
    RESAMPLING,
    filename_of,
    image_port,
    open_image,
    parse_color,
    resize_image,
    store_image,
)
from engine.nodes.support import integer, port_or_param, spec_param

_RESAMPLE = ParamSpec(
    name="resample",
    kind=ParamKind.ENUM,
    label="Resampling",
    default="lanczos",
    choices=tuple(RESAMPLING),
    description="Filter used when scaling: lanczos is sharpest, nearest keeps pixel art crisp.",
)


# ---------------------------------------------------------------- image.resize

RESIZE = NodeSpec(
    type="image.resize",
    category=Category.EDITING,
    display_name="Resize Image",
    description="Scale an image to a width and/or height. Leave one at 0 to keep the aspect ratio.",
    aliases=("scale", "thumbnail", "downscale", "upscale", "fit", "size"),
    inputs=(
        image_port(),
        PortSpec(
            name="width", type=PortType.NUMBER, required=False, description="Overrides Width."
        ),
        PortSpec(
            name="height", type=PortType.NUMBER, required=False, description="Overrides Height."
        ),
    ),
    outputs=(IMAGE_OUT,),
    params=(
        ParamSpec(
            name="width",
            kind=ParamKind.INTEGER,
            label="Width",
            default=512,
            minimum=0,
            maximum=MAX_SIDE,
            description="Target width in pixels; 0 = follow the height, keeping the aspect.",
        ),
        ParamSpec(
            name="height",
            kind=ParamKind.INTEGER,
            label="Height",
            default=0,
            minimum=0,
            maximum=MAX_SIDE,
            description="Target height in pixels; 0 = follow the width, keeping the aspect.",
        ),
        ParamSpec(
            name="mode",
            kind=ParamKind.ENUM,
            label="Mode",
            default="fit",
            choices=("fit", "fill", "pad", "stretch"),
            description="When both sides are set: fit inside the box (aspect kept), fill the "
            "box and crop the overflow, pad to the exact box with the background colour, "
            "or stretch to it.",
        ),
        ParamSpec(
            name="background",
            kind=ParamKind.COLOR,
            label="Pad colour",
            default="#00000000",
            description="Colour of the bars added by the pad mode.",
        ),
        _RESAMPLE,
    ),
)


def run_resize(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Resize the input image."""
    image = open_image(ctx, inputs.get("image"))
    width = integer(spec_param(RESIZE, "width"), port_or_param(ctx, inputs, "width"))
    height = integer(spec_param(RESIZE, "height"), port_or_param(ctx, inputs, "height"))
    result = resize_image(
        image,
        width,
        height,
        mode=str(ctx.params["mode"]),
        resample=RESAMPLING[str(ctx.params["resample"])],
        background=parse_color(str(ctx.params["background"])),
    )
    return {"image": store_image(ctx, result, filename=filename_of(inputs.get("image")))}


# ---------------------------------------------------------------- image.crop

CROP = NodeSpec(
    type="image.crop",
    category=Category.EDITING,
    display_name="Crop Image",
    description="Cut out a rectangle, or the largest centred area of an aspect ratio.",
    aliases=("trim", "cut", "aspect ratio", "square"),
    inputs=(image_port(),),
    outputs=(IMAGE_OUT,),
    params=(
        ParamSpec(
            name="mode",
            kind=ParamKind.ENUM,
            label="Mode",
            default="box",
            choices=("box", "aspect"),
            description="box: the X/Y/Width/Height rectangle; aspect: the largest centred "
            "crop with the given aspect ratio.",
        ),
        ParamSpec(
            name="x",
            kind=ParamKind.INTEGER,
            label="X",
            default=0,
            minimum=0,
            maximum=MAX_SIDE,
            description="Left edge of the box, in pixels.",
        ),
        ParamSpec(
            name="y",
            kind=ParamKind.INTEGER,
            label="Y",
            default=0,
            minimum=0,
            maximum=MAX_SIDE,
            description="Top edge of the box, in pixels.",
        ),
        ParamSpec(
            name="width",
            kind=ParamKind.INTEGER,
            label="Width",
            default=0,
            minimum=0,
            maximum=MAX_SIDE,
            description="Box width; 0 = up to the right edge.",
        ),
        ParamSpec(
            name="height",
            kind=ParamKind.INTEGER,
            label="Height",
            default=0,
            minimum=0,
            maximum=MAX_SIDE,
            description="Box height; 0 = down to the bottom edge.",
        ),
        ParamSpec(
            name="aspect",
            kind=ParamKind.STRING,
            label="Aspect ratio",
            default="1:1",
            description="For the aspect mode: W:H such as 16:9, or a number such as 1.5.",
        ),
    ),
)


def parse_aspect(text: str) -> float:
    """``"16:9"``, ``"16/9"`` or ``"1.78"`` as width / height."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:[:/x]\s*(\d+(?:\.\d+)?))?\s*", text)
    if match is not None:
        width = float(match.group(1))
        height = float(match.group(2) or 1)
        if width > 0 and height > 0:
            return width / height
    raise PermanentNodeError(f"aspect ratio: expected W:H such as 16:9, got {text!r}")


def run_crop(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Crop the input image."""
    image = open_image(ctx, inputs.get("image"))
    params = ctx.params
    if params["mode"] == "aspect":
        ratio = parse_aspect(str(params["aspect"]))
        width = min(image.width, round(image.height * ratio))
        height = min(image.height, round(image.width / ratio))
        x, y = (image.width - width) // 2, (image.height - height) // 2
    else:
        x, y = int(params["x"]), int(params["y"])
        if x >= image.width or y >= image.height:
            raise PermanentNodeError(
                f"the crop starts at ({x}, {y}), outside the {image.width}x{image.height} image"
            )
        width = int(params["width"]) or image.width - x
        height = int(params["height"]) or image.height - y
        if x + width > image.width or y + height > image.height:
            raise PermanentNodeError(
                f"the crop box x {x}..{x + width}, y {y}..{y + height} goes outside the "
                f"{image.width}x{image.height} image; make it smaller or move it"
            )
    result = image.crop((x, y, x + max(1, width), y + max(1, height)))
    return {"image": store_image(ctx, result, filename=filename_of(inputs.get("image")))}


# ---------------------------------------------------------------- image.rotate

ROTATE = NodeSpec(
    type="image.rotate",
    category=Category.EDITING,
    display_name="Rotate Image",
    description="Turn an image clockwise by any angle; multiples of 90 are lossless.",
    aliases=("turn", "spin", "orientation", "flip"),
    inputs=(image_port(),),
    outputs=(IMAGE_OUT,),
    params=(
        ParamSpec(
            name="degrees",
            kind=ParamKind.NUMBER,
            label="Degrees",
            default=90.0,
            minimum=-360,
            maximum=360,
            step=1,
            description="Clockwise angle; negative turns anticlockwise.",
        ),
        ParamSpec(
            name="expand",
            kind=ParamKind.BOOLEAN,
            label="Expand canvas",
            default=True,
            description="Grow the canvas so no corner is cut off.",
        ),
        ParamSpec(
            name="fill",
            kind=ParamKind.COLOR,
            label="Fill colour",
            default="#00000000",
            description="Colour of the uncovered corners (transparent by default).",
        ),
    ),
)


def run_rotate(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Rotate the input image."""
    image = open_image(ctx, inputs.get("image"))
    degrees = float(ctx.params["degrees"]) % 360
    expand = bool(ctx.params["expand"])
    quarter = {
        90.0: Image.Transpose.ROTATE_270,
        180.0: Image.Transpose.ROTATE_180,
        270.0: Image.Transpose.ROTATE_90,
    }
    if degrees == 0:
        result = image
    elif degrees in quarter and (expand or degrees == 180 or image.width == image.height):
        result = image.transpose(quarter[degrees])
    else:
        fill = parse_color(str(ctx.params["fill"]))
        if fill[3] < 255 and image.mode != "RGBA":
            image = image.convert("RGBA")
        color = fill if image.mode == "RGBA" else fill[:3]
        result = image.rotate(-degrees, Image.Resampling.BICUBIC, expand=expand, fillcolor=color)
    return {"image": store_image(ctx, result, filename=filename_of(inputs.get("image")))}


# ---------------------------------------------------------------- image.adjust


def _factor(name: str, label: str, what: str) -> ParamSpec:
    return ParamSpec(
        name=name,
        kind=ParamKind.NUMBER,
        label=label,
        default=1.0,
        minimum=0.0,
        maximum=4.0,
        step=0.05,
        description=f"1 leaves the image unchanged, 0 {what}, 2 doubles the effect.",
    )


ADJUST = NodeSpec(
    type="image.adjust",
    category=Category.EDITING,
    display_name="Adjust Colours",
    description="Change brightness, contrast and saturation. Transparency is kept.",
    aliases=("brightness", "contrast", "saturation", "colour correct", "grayscale", "levels"),
    inputs=(image_port(),),
    outputs=(IMAGE_OUT,),
    params=(
        _factor("brightness", "Brightness", "gives black"),
        _factor("contrast", "Contrast", "gives flat grey"),
        _factor("saturation", "Saturation", "gives black and white"),
    ),
)


def run_adjust(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Apply the colour factors in a fixed order: brightness, contrast, saturation."""
    image = open_image(ctx, inputs.get("image"))
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    rgb = image.convert("RGB")
    for name, enhancer in (
        ("brightness", ImageEnhance.Brightness),
        ("contrast", ImageEnhance.Contrast),
        ("saturation", ImageEnhance.Color),
    ):
        factor = float(ctx.params[name])
        if factor != 1.0:
            rgb = enhancer(rgb).enhance(factor)
    if alpha is not None:
        rgb.putalpha(alpha)
    return {"image": store_image(ctx, rgb, filename=filename_of(inputs.get("image")))}


# ---------------------------------------------------------------- image.composite

_ANCHORS = (
    "top-left",
    "top",
    "top-right",
    "left",
    "center",
    "right",
    "bottom-left",
    "bottom",
    "bottom-right",
)

COMPOSITE = NodeSpec(
    type="image.composite",
    category=Category.EDITING,
    display_name="Composite Images",
    description="Place an overlay image on a base image at a position, with opacity and an "
    "optional mask (white = visible). The result has the base image's size.",
    aliases=("overlay", "watermark", "paste", "layer", "blend", "logo"),
    inputs=(
        image_port("base", "The background image; sets the output size."),
        image_port("overlay", "The image placed on top (its transparency is kept)."),
        PortSpec(
            name="mask",
            type=PortType.MASK,
            required=False,
            description="Optional greyscale mask, the same size as the overlay.",
        ),
    ),
    outputs=(IMAGE_OUT,),
    params=(
        ParamSpec(
            name="anchor",
            kind=ParamKind.ENUM,
            label="Anchor",
            default="top-left",
            choices=_ANCHORS,
            description="Which point of the base the overlay is aligned to before the X/Y "
            "offset is applied.",
        ),
        ParamSpec(
            name="x",
            kind=ParamKind.INTEGER,
            label="X offset",
            default=0,
            minimum=-MAX_SIDE,
            maximum=MAX_SIDE,
            description="Pixels to the right of the anchor (negative = left).",
        ),
        ParamSpec(
            name="y",
            kind=ParamKind.INTEGER,
            label="Y offset",
            default=0,
            minimum=-MAX_SIDE,
            maximum=MAX_SIDE,
            description="Pixels below the anchor (negative = up).",
        ),
        ParamSpec(
            name="opacity",
            kind=ParamKind.NUMBER,
            label="Opacity",
            default=1.0,
            minimum=0.0,
            maximum=1.0,
            step=0.05,
            description="0 = invisible, 1 = fully opaque.",
        ),
    ),
)


def _anchor_offset(anchor: str, outer: tuple[int, int], inner: tuple[int, int]) -> tuple[int, int]:
    free_x, free_y = outer[0] - inner[0], outer[1] - inner[1]
    x = 0 if "left" in anchor else free_x if "right" in anchor else free_x // 2
    y = 0 if "top" in anchor else free_y if "bottom" in anchor else free_y // 2
    return x, y


def run_composite(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Paste the overlay onto the base."""
    base = open_image(ctx, inputs.get("base"), what="base")
    overlay = open_image(ctx, inputs.get("overlay"), what="overlay").convert("RGBA")
    alpha = overlay.getchannel("A")
    if inputs.get("mask") is not None:
        mask = open_image(ctx, inputs["mask"], what="mask").convert("L")
        if mask.size != overlay.size:
            raise PermanentNodeError(
                f"the mask is {mask.width}x{mask.height} but the overlay is "
                f"{overlay.width}x{overlay.height}; resize the mask to match "
                "(Resize Image, mode stretch)"
            )
        alpha = ImageChops.multiply(alpha, mask)
    opacity = float(ctx.params["opacity"])
    if opacity < 1.0:
        alpha = alpha.point(lambda v: round(v * opacity))
    overlay.putalpha(alpha)
    ax, ay = _anchor_offset(str(ctx.params["anchor"]), base.size, overlay.size)
    x, y = ax + int(ctx.params["x"]), ay + int(ctx.params["y"])
    if x >= base.width or y >= base.height or x + overlay.width <= 0 or y + overlay.height <= 0:
        raise PermanentNodeError(
            f"the overlay at ({x}, {y}) falls entirely outside the "
            f"{base.width}x{base.height} base image; check the anchor and offsets"
        )
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    layer.paste(overlay, (x, y))
    result = base.convert("RGBA")
    result.alpha_composite(layer)
    if base.mode == "RGB":
        result = result.convert("RGB")
    return {"image": store_image(ctx, result, filename=filename_of(inputs.get("base")))}


def register(catalog: Catalog) -> None:
    """Register resize, crop, rotate, adjust and composite."""
    catalog.register(RESIZE, run_resize)
    catalog.register(CROP, run_crop)
    catalog.register(ROTATE, run_rotate)
    catalog.register(ADJUST, run_adjust)
    catalog.register(COMPOSITE, run_composite)
