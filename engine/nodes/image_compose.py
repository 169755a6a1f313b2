"""Local image layout nodes (Pillow): caption (text overlay) and grid (contact sheet)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.nodes.base import NodeContext
from engine.nodes.image import (
    IMAGE_OUT,
    check_size,
    filename_of,
    image_port,
    open_image,
    parse_color,
    resize_image,
    store_image,
)
from engine.nodes.support import as_items, integer, port_or_param, spec_param, to_text
from engine.values import Artifact

Font = ImageFont.FreeTypeFont

# ---------------------------------------------------------------- image.caption

CAPTION = NodeSpec(
    type="image.caption",
    category=Category.EDITING,
    display_name="Caption Image",
    description="Write text on a band across the top, middle or bottom of an image. Long "
    "text wraps; text that cannot fit is shortened with '...'.",
    aliases=("text overlay", "title", "label", "subtitle", "meme", "annotate", "watermark text"),
    inputs=(
        image_port(),
        PortSpec(
            name="text",
            type=PortType.TEXT,
            required=False,
            description="The caption; overrides the Text parameter when wired.",
        ),
        PortSpec(
            name="font_size",
            type=PortType.NUMBER,
            required=False,
            description="Overrides Font size when wired.",
        ),
    ),
    outputs=(IMAGE_OUT,),
    params=(
        ParamSpec(
            name="text",
            kind=ParamKind.TEXT,
            label="Text",
            default="",
            description="Caption text; line breaks are kept. {filename}, {stem}, {width}, "
            "{height} and {item} are replaced by the image's file name, name without "
            "extension, size and batch item number. Empty text leaves the image unchanged.",
        ),
        ParamSpec(
            name="position",
            kind=ParamKind.ENUM,
            label="Position",
            default="bottom",
            choices=("top", "center", "bottom"),
            description="Where the band sits.",
        ),
        ParamSpec(
            name="placement",
            kind=ParamKind.ENUM,
            label="Placement",
            default="overlay",
            choices=("overlay", "extend"),
            description="overlay: draw the band over the picture; extend: add the band above "
            "or below it, making the image taller (a centred band always overlays).",
        ),
        ParamSpec(
            name="align",
            kind=ParamKind.ENUM,
            label="Alignment",
            default="center",
            choices=("left", "center", "right"),
            description="Horizontal alignment of the lines.",
        ),
        ParamSpec(
            name="font_size",
            kind=ParamKind.INTEGER,
            label="Font size",
            default=0,
            minimum=0,
            maximum=1000,
            description="Text height in pixels; 0 = automatic (a twelfth of the image height).",
        ),
        ParamSpec(
            name="color",
            kind=ParamKind.COLOR,
            label="Text colour",
            default="#ffffff",
            description="Colour of the text (#rrggbb, or #rrggbbaa for translucent text).",
        ),
        ParamSpec(
            name="background",
            kind=ParamKind.COLOR,
            label="Band colour",
            default="#000000a0",
            description="Colour of the band behind the text; alpha 00 hides the band.",
        ),
        ParamSpec(
            name="padding",
            kind=ParamKind.INTEGER,
            label="Padding",
            default=12,
            minimum=0,
            maximum=1000,
            description="Space around the text inside the band, in pixels.",
        ),
        ParamSpec(
            name="font",
            kind=ParamKind.FILE,
            label="Font file",
            default="",
            description="A .ttf or .otf font. Empty = the built-in font, which covers "
            "basic Latin letters only.",
        ),
    ),
)

_ELLIPSIS = "..."


def _load_font(ctx: NodeContext, font_file: str, size: int) -> Font:
    if not font_file:
        font = ImageFont.load_default(size=size)
        if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow built without FreeType
            raise PermanentNodeError("captions need Pillow with FreeType support")
        return font
    path = ctx.existing_file(font_file)
    try:
        return ImageFont.truetype(str(path), size)
    except OSError as exc:
        raise PermanentNodeError(f"{path.name} is not a font file Pillow can read") from exc


def _wrap(text: str, font: Font, width: int) -> list[str]:
    """Greedy word wrap; words wider than a line are split between characters."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if font.getlength(candidate) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            for char in word:
                if current and font.getlength(current + char) > width:
                    lines.append(current)
                    current = ""
                current += char
        lines.append(current)
    return lines


def _shorten(line: str, font: Font, width: int) -> str:
    while line and font.getlength(line + _ELLIPSIS) > width:
        line = line[:-1]
    return line.rstrip() + _ELLIPSIS


def _caption_text(ctx: NodeContext, inputs: Mapping[str, Any], image: Image.Image) -> str:
    text = to_text(port_or_param(ctx, inputs, "text"))
    filename = filename_of(inputs.get("image")) or ""
    for key, value in (
        ("{filename}", filename),
        ("{stem}", Path(filename).stem),
        ("{width}", str(image.width)),
        ("{height}", str(image.height)),
        ("{item}", str((ctx.item_index or 0) + 1)),
    ):
        text = text.replace(key, value)
    return text


def run_caption(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Draw the caption band and text."""
    image = open_image(ctx, inputs.get("image"))
    text = _caption_text(ctx, inputs, image)
    if not text.strip():
        passed = inputs.get("image")
        return {"image": passed if isinstance(passed, Artifact) else store_image(ctx, image)}
    size = integer(spec_param(CAPTION, "font_size"), port_or_param(ctx, inputs, "font_size"))
    size = size or max(10, round(image.height / 12))
    padding = int(ctx.params["padding"])
    position = str(ctx.params["position"])
    extend = ctx.params.get("placement") == "extend" and position != "center"
    font = _load_font(ctx, str(ctx.params.get("font") or ""), size)
    ascent, descent = font.getmetrics()
    line_height = round((ascent + descent) * 1.1)
    width = image.width - 2 * padding
    max_lines = (image.height - 2 * padding) // line_height
    if width < size or (max_lines < 1 and not extend):
        raise PermanentNodeError(
            f"a {size}px caption with {padding}px padding does not fit on a "
            f"{image.width}x{image.height} image; lower the font size or padding"
        )
    lines = _wrap(text, font, width)
    if len(lines) > max_lines and not extend:
        lines = [*lines[: max_lines - 1], _shorten(lines[max_lines - 1], font, width)]
    band_height = len(lines) * line_height + 2 * padding
    canvas_height = image.height + band_height if extend else image.height
    check_size(image.width, canvas_height, what="the captioned image")
    top = {"top": 0, "center": (image.height - band_height) // 2}.get(
        position, canvas_height - band_height
    )
    result = Image.new("RGBA", (image.width, canvas_height), (0, 0, 0, 0))
    result.paste(image.convert("RGBA"), (0, band_height if extend and top == 0 else 0))
    band = Image.new("RGBA", result.size, (0, 0, 0, 0))
    background = parse_color(str(ctx.params["background"]))
    ImageDraw.Draw(band).rectangle(
        (0, top, image.width - 1, top + band_height - 1), fill=background
    )
    result.alpha_composite(band)
    result.alpha_composite(_text_layer(ctx, lines, font, result.size, top + padding, line_height))
    if image.mode == "RGB" and (not extend or background[3] == 255):
        result = result.convert("RGB")
    return {"image": store_image(ctx, result, filename=filename_of(inputs.get("image")))}


def _text_layer(
    ctx: NodeContext,
    lines: list[str],
    font: Font,
    size: tuple[int, int],
    top: int,
    line_height: int,
) -> Image.Image:
    """The text as a colour layer whose alpha is the anti-aliased glyph coverage."""
    coverage = Image.new("L", size, 0)
    draw = ImageDraw.Draw(coverage)
    padding = int(ctx.params["padding"])
    align = str(ctx.params["align"])
    for index, line in enumerate(lines):
        length = font.getlength(line)
        x = {"left": padding, "right": size[0] - padding - length}.get(
            align, (size[0] - length) / 2
        )
        draw.text((x, top + index * line_height), line, font=font, fill=255)
    red, green, blue, alpha = parse_color(str(ctx.params["color"]))
    if alpha < 255:
        coverage = coverage.point(lambda v: round(v * alpha / 255))
    layer = Image.new("RGBA", size, (red, green, blue, 0))
    layer.putalpha(coverage)
    return layer


# ---------------------------------------------------------------- image.grid

MAX_GRID_IMAGES = 400

GRID = NodeSpec(
    type="image.grid",
    category=Category.EDITING,
    display_name="Image Grid",
    description="Lay a list of images out in rows and columns on one sheet (a contact "
    "sheet), in list order.",
    aliases=("contact sheet", "collage", "mosaic", "tile", "montage", "gallery"),
    inputs=(
        PortSpec(
            name="images",
            type=PortType.IMAGE,
            is_list=True,
            description="The images, as a list (e.g. from a node that ran once per item).",
        ),
    ),
    outputs=(IMAGE_OUT,),
    params=(
        ParamSpec(
            name="columns",
            kind=ParamKind.INTEGER,
            label="Columns",
            default=0,
            minimum=0,
            maximum=100,
            description="Images per row; 0 = automatic (as square a grid as possible).",
        ),
        ParamSpec(
            name="cell_width",
            kind=ParamKind.INTEGER,
            label="Cell width",
            default=0,
            minimum=0,
            maximum=4096,
            description="Width of each cell; 0 = the widest image.",
        ),
        ParamSpec(
            name="cell_height",
            kind=ParamKind.INTEGER,
            label="Cell height",
            default=0,
            minimum=0,
            maximum=4096,
            description="Height of each cell; 0 = the tallest image.",
        ),
        ParamSpec(
            name="fit",
            kind=ParamKind.ENUM,
            label="Fit",
            default="fit",
            choices=("fit", "fill", "stretch"),
            description="fit: whole image centred in its cell; fill: cover the cell, "
            "cropping the overflow; stretch: distort to the cell.",
        ),
        ParamSpec(
            name="gap",
            kind=ParamKind.INTEGER,
            label="Gap",
            default=8,
            minimum=0,
            maximum=512,
            description="Space between cells, in pixels.",
        ),
        ParamSpec(
            name="margin",
            kind=ParamKind.INTEGER,
            label="Margin",
            default=16,
            minimum=0,
            maximum=512,
            description="Space around the whole grid, in pixels.",
        ),
        ParamSpec(
            name="background",
            kind=ParamKind.COLOR,
            label="Background",
            default="#18181b",
            description="Colour of the gaps, margins and empty cells.",
        ),
    ),
)


def grid_shape(count: int, columns: int) -> tuple[int, int]:
    """``(columns, rows)`` for ``count`` images; ``columns`` 0 picks a near-square grid."""
    cols = columns or math.ceil(math.sqrt(count))
    cols = max(1, min(cols, count))
    return cols, math.ceil(count / cols)


def run_grid(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Build the contact sheet."""
    items = as_items(inputs.get("images"))
    if not items:
        raise PermanentNodeError("the grid received no images; connect a list of images")
    if len(items) > MAX_GRID_IMAGES:
        raise PermanentNodeError(
            f"the grid received {len(items)} images; the limit is {MAX_GRID_IMAGES}"
        )
    images = [open_image(ctx, item, what=f"image {index + 1}") for index, item in enumerate(items)]
    params = ctx.params
    cell_w = int(params["cell_width"]) or max(image.width for image in images)
    cell_h = int(params["cell_height"]) or max(image.height for image in images)
    cols, rows = grid_shape(len(images), int(params["columns"]))
    gap, margin = int(params["gap"]), int(params["margin"])
    width = 2 * margin + cols * cell_w + (cols - 1) * gap
    height = 2 * margin + rows * cell_h + (rows - 1) * gap
    check_size(width, height, what="the grid")
    background = parse_color(str(params["background"]))
    sheet = Image.new("RGBA", (width, height), background)
    fit = str(params["fit"])
    for index, image in enumerate(images):
        cell = resize_image(image, cell_w, cell_h, mode=fit).convert("RGBA")
        row, col = divmod(index, cols)
        x = margin + col * (cell_w + gap) + (cell_w - cell.width) // 2
        y = margin + row * (cell_h + gap) + (cell_h - cell.height) // 2
        sheet.alpha_composite(cell, (x, y))
    result = sheet if background[3] < 255 else sheet.convert("RGB")
    return {"image": store_image(ctx, result)}


def register(catalog: Catalog) -> None:
    """Register caption and grid."""
    catalog.register(CAPTION, run_caption)
    catalog.register(GRID, run_grid)
