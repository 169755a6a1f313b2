"""Local image nodes (Pillow): shared helpers, ``image.load`` and ``image.save``.

Images travel as PNG artifacts (``image/png``, metadata ``width``/``height``).
Every image input also accepts a file path typed into the node's data, resolved
relative to the workflow's folder. Editing nodes live in
:mod:`engine.nodes.image_edit`, compositing ones in :mod:`engine.nodes.image_compose`.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import ArtifactNotFoundError, PermanentNodeError
from engine.nodes.base import NodeContext
from engine.nodes.support import port_or_param, to_text, type_name
from engine.values import Artifact

#: Largest image any node produces or accepts (8192 x 8192 ~ 67 MP, ~270 MB as RGBA).
MAX_PIXELS = 8192 * 8192
MAX_SIDE = 16384
#: Formats ``image.load`` accepts, and the media type of each.
_MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
_READABLE = frozenset({*_MEDIA_TYPES, "GIF", "BMP", "TIFF"})
_SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
_ORIENTATION = 0x0112  # the EXIF tag
RESAMPLING = {
    "lanczos": Image.Resampling.LANCZOS,
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
}

# ---------------------------------------------------------------- helpers


def parse_color(value: str) -> tuple[int, int, int, int]:
    """``#rrggbb`` or ``#rrggbbaa`` as an RGBA tuple."""
    text = value.strip().lstrip("#")
    if len(text) not in (6, 8) or re.fullmatch(r"[0-9a-fA-F]+", text) is None:
        raise PermanentNodeError(f"expected a colour like #ff8800 or #00000080, got {value!r}")
    channels = [int(text[i : i + 2], 16) for i in range(0, len(text), 2)]
    if len(channels) == 3:
        channels.append(255)
    return channels[0], channels[1], channels[2], channels[3]


def check_size(width: int, height: int, *, what: str = "the result") -> None:
    """Refuse images too large to handle (a typo of 80000 instead of 8000)."""
    if width < 1 or height < 1:
        raise PermanentNodeError(f"{what} would be {width}x{height} pixels, which is empty")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise PermanentNodeError(
            f"{what} would be {width}x{height} pixels; the limit is {MAX_SIDE} per side "
            f"and {MAX_PIXELS // 1_000_000} megapixels"
        )


def normalise_mode(image: Image.Image) -> Image.Image:
    """RGBA when the image has transparency, else RGB."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    target = "RGBA" if has_alpha else "RGB"
    return image if image.mode == target else image.convert(target)


def _decode(data: bytes | Path, *, name: str) -> tuple[Image.Image, str, bool]:
    """Open an image file fully and turn it upright (EXIF orientation).

    Returns the image, its format name, and whether the file's own bytes are not
    a faithful single upright picture (rotated by EXIF, or animated).
    """
    try:
        with Image.open(data if isinstance(data, Path) else io.BytesIO(data)) as raw:
            fmt = raw.format or ""
            if fmt not in _READABLE:
                raise PermanentNodeError(
                    f"{name} is a {fmt or 'unknown'} file; use PNG, JPEG or WebP"
                )
            check_size(raw.width, raw.height, what=name)
            altered = bool(getattr(raw, "is_animated", False))
            altered = altered or raw.getexif().get(_ORIENTATION, 1) != 1
            raw.load()
            upright = ImageOps.exif_transpose(raw) if altered else raw.copy()
            return upright, fmt, altered
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise PermanentNodeError(f"{name} is not an image Pillow can read ({exc})") from exc


def open_image(ctx: NodeContext, value: Any, *, what: str = "image") -> Image.Image:
    """An image input as an RGB/RGBA Pillow image.

    ``value`` is an artifact, or a file path typed into the node's data.
    """
    if isinstance(value, str) and value:
        try:
            path = ctx.existing_file(value)
        except PermanentNodeError as exc:
            raise PermanentNodeError(f"{what}: {exc.message}") from exc
        image, _, _ = _decode(path, name=path.name)
        return normalise_mode(image)
    if not isinstance(value, Artifact):
        raise PermanentNodeError(f"{what}: expected an image, got {type_name(value)}")
    try:
        path = ctx.artifacts.path(value)
    except ArtifactNotFoundError as exc:
        raise PermanentNodeError(f"{what}: {exc}") from exc
    image, _, _ = _decode(path, name=value.filename or what)
    return normalise_mode(image)


def store_image(ctx: NodeContext, image: Image.Image, *, filename: str | None = None) -> Artifact:
    """Encode ``image`` as PNG into the artifact store."""
    check_size(image.width, image.height)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    if filename is not None:
        filename = f"{Path(filename).stem}.png"
    return ctx.artifacts.put_bytes(
        buffer.getvalue(),
        kind=PortType.IMAGE,
        media_type="image/png",
        filename=filename,
        metadata={"width": image.width, "height": image.height},
    )


def load_image_file(ctx: NodeContext, path: Path) -> Artifact:
    """Store an image file as an artifact, upright (EXIF orientation applied).

    PNG, JPEG and WebP files that need no rotation are stored byte for byte, so a
    JPEG photo is not inflated into a PNG; anything else is re-encoded as PNG.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PermanentNodeError(f"cannot read {path}: {exc.strerror or exc}") from exc
    image, fmt, altered = _decode(data, name=path.name)
    if fmt in _MEDIA_TYPES and not altered:
        return ctx.artifacts.put_bytes(
            data,
            kind=PortType.IMAGE,
            media_type=_MEDIA_TYPES[fmt],
            filename=path.name,
            metadata={"width": image.width, "height": image.height},
        )
    return store_image(ctx, normalise_mode(image), filename=path.name)


def resize_image(
    image: Image.Image,
    width: int,
    height: int,
    *,
    mode: str = "fit",
    resample: Image.Resampling = Image.Resampling.LANCZOS,
    background: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> Image.Image:
    """Resize to a ``width`` x ``height`` box (either may be 0 = keep the aspect ratio).

    ``fit`` keeps the aspect ratio inside the box, ``fill`` covers the box and
    crops the overflow (centred), ``pad`` fits and then centres the result on a
    ``background`` canvas of exactly the box size, ``stretch`` ignores the aspect.
    """
    if width <= 0 and height <= 0:
        raise PermanentNodeError("set a width, a height, or both")
    if width <= 0 or height <= 0:
        scale = width / image.width if width > 0 else height / image.height
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        check_size(*size)
        return image.resize(size, resample)
    check_size(width, height)
    if mode == "stretch":
        return image.resize((width, height), resample)
    if mode == "fill":
        return ImageOps.fit(image, (width, height), resample)
    fitted = ImageOps.contain(image, (width, height), resample)
    if mode == "fit":
        return fitted
    canvas = Image.new("RGBA", (width, height), background)
    offset = ((width - fitted.width) // 2, (height - fitted.height) // 2)
    canvas.alpha_composite(fitted.convert("RGBA"), offset)
    return canvas if background[3] < 255 or image.mode == "RGBA" else canvas.convert("RGB")


def image_port(name: str = "image", description: str = "The image to work on.") -> PortSpec:
    """A required image input port."""
    return PortSpec(name=name, type=PortType.IMAGE, description=description)


#: The ``image`` output port of every image-editing node.
IMAGE_OUT = PortSpec(name="image", type=PortType.IMAGE, description="The resulting image.")


def filename_of(value: Any) -> str | None:
    """The original file name carried by an image artifact, if any."""
    return value.filename if isinstance(value, Artifact) else None


# ---------------------------------------------------------------- image.load

LOAD = NodeSpec(
    type="image.load",
    category=Category.EDITING,
    display_name="Load Image",
    description="Read a PNG, JPEG or WebP file from disk (EXIF rotation applied). Wire a "
    "list of paths into `path` to load several.",
    aliases=("open image", "read image", "file", "import picture"),
    inputs=(
        PortSpec(
            name="path",
            type=PortType.TEXT,
            required=False,
            description="File path; overrides the Path parameter when wired.",
        ),
    ),
    outputs=(
        IMAGE_OUT.model_copy(update={"description": "The loaded image."}),
        PortSpec(name="name", type=PortType.TEXT, description="The file name without folder."),
    ),
    params=(
        ParamSpec(
            name="path",
            kind=ParamKind.FILE,
            label="Path",
            accept=PortType.IMAGE,
            default="",
            description="Image file, relative to the workflow's folder or absolute.",
        ),
    ),
)


def run_load(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Load the file named by ``path`` into the artifact store."""
    value = port_or_param(ctx, inputs, "path")
    path = ctx.existing_file(to_text(value).strip())
    return {"image": load_image_file(ctx, path), "name": path.name}


# ---------------------------------------------------------------- image.save

SAVE = NodeSpec(
    type="image.save",
    category=Category.EDITING,
    display_name="Save Image",
    description="Write the image to a file (PNG, JPEG or WebP by extension) in the run's "
    "output folder, and pass it through. By default an existing file is never "
    "overwritten: a -1, -2 ... suffix is added unless the file already holds "
    "exactly this image.",
    aliases=("export", "write file", "save as", "download"),
    inputs=(image_port(description="The image to save."),),
    outputs=(
        IMAGE_OUT.model_copy(update={"description": "The same image, unchanged."}),
        PortSpec(name="path", type=PortType.TEXT, description="Absolute path of the file."),
    ),
    params=(
        ParamSpec(
            name="filename",
            kind=ParamKind.STRING,
            label="File name",
            default="patchbay-{node}.png",
            description="Relative to the output folder unless absolute. Placeholders: "
            "{node} node id, {item} item number in a batch (added before the extension "
            "when a batch is saved without it), {date} today (YYYY-MM-DD), {width}, "
            "{height}. The extension picks the format: .png, .jpg or .webp.",
        ),
        ParamSpec(
            name="if_exists",
            kind=ParamKind.ENUM,
            label="If the file exists",
            default="increment",
            choices=("increment", "overwrite", "error"),
            description="increment: add -1, -2 ... to the name; overwrite: replace it; "
            "error: fail the node.",
        ),
        ParamSpec(
            name="quality",
            kind=ParamKind.INTEGER,
            label="Quality",
            default=92,
            minimum=1,
            maximum=100,
            description="JPEG/WebP quality (PNG is always lossless).",
        ),
        ParamSpec(
            name="background",
            kind=ParamKind.COLOR,
            label="JPEG background",
            default="#ffffff",
            description="Colour behind transparent areas when saving as JPEG.",
        ),
    ),
)

_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _expand_filename(template: str, ctx: NodeContext, image: Image.Image) -> str:
    node = re.sub(r"[^A-Za-z0-9._-]+", "-", ctx.node_id).strip("-.") or "node"
    item = str((ctx.item_index or 0) + 1)
    values = {
        "node": node,
        "item": item,
        "date": date.today().isoformat(),
        "width": str(image.width),
        "height": str(image.height),
    }

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise PermanentNodeError(
                f"file name: unknown placeholder {{{key}}}; use "
                + ", ".join(f"{{{k}}}" for k in values)
            )
        return values[key]

    name = _PLACEHOLDER.sub(substitute, template.strip())
    if ctx.item_index is not None and "{item}" not in template:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem}-{item}.{ext}" if dot and "/" not in ext else f"{name}-{item}"
    return name


def _encode_for_file(image: Image.Image, fmt: str, params: Mapping[str, Any]) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        if image.mode == "RGBA":
            flat = Image.new("RGBA", image.size, parse_color(params["background"]))
            flat.alpha_composite(image)
            image = flat
        image.convert("RGB").save(buffer, format="JPEG", quality=params["quality"])
    elif fmt == "WEBP":
        image.save(buffer, format="WEBP", quality=params["quality"])
    else:
        image.save(buffer, format="PNG")
    return buffer.getvalue()


def _write_new(path: Path, data: bytes) -> bool:
    """Create ``path`` holding ``data``; ``False`` when it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return True


def _same_content(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def run_save(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Write the image file; never clobbers another file unless told to."""
    image = open_image(ctx, inputs.get("image"))
    name = _expand_filename(str(ctx.params["filename"]), ctx, image)
    if not name or name.endswith(("/", os.sep)):
        raise PermanentNodeError("file name: give a file name such as poster.png")
    target = ctx.output_path(name)
    if not target.suffix:
        target = target.with_suffix(".png")
    fmt = _SAVE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise PermanentNodeError(
            f"file name: cannot save {target.suffix} files; use .png, .jpg or .webp"
        )
    data = _encode_for_file(image, fmt, ctx.params)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        written = _write_file(target, data, str(ctx.params["if_exists"]))
    except OSError as exc:
        raise PermanentNodeError(f"cannot write {target}: {exc.strerror or exc}") from exc
    passed = inputs.get("image")
    if not isinstance(passed, Artifact):
        passed = store_image(ctx, image)
    return {"image": passed, "path": str(written.resolve())}


def _write_file(target: Path, data: bytes, policy: str) -> Path:
    if policy == "overwrite":
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        return target
    if _write_new(target, data) or _same_content(target, data):
        return target
    if policy == "error":
        raise PermanentNodeError(
            f"{target} already exists; choose another file name or set "
            "'If the file exists' to overwrite or increment"
        )
    for number in range(1, 10_000):
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
        if _write_new(candidate, data) or _same_content(candidate, data):
            return candidate
    raise PermanentNodeError(f"too many files named like {target}; clean up the folder")


def register(catalog: Catalog) -> None:
    """Register ``image.load`` and ``image.save``."""
    catalog.register(LOAD, run_load)
    catalog.register(SAVE, run_save)
