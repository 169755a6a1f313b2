"""Local video nodes that make clips from pictures: ``video.from_images``, ``video.ken_burns``.

Clips are H.264 MP4 artifacts (``video/mp4``, yuv420p, so every player shows them)
encoded by the ffmpeg that imageio-ffmpeg bundles; metadata ``width``, ``height``,
``duration_s``, ``fps``, ``has_audio``. Frame sizes are rounded to even numbers,
which H.264 needs. Editing nodes (concat, trim, extract frame, add audio, resize)
live in :mod:`engine.nodes.video_edit`; :func:`register` registers both.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.media.store import store_video
from engine.media.video import (
    MAX_DURATION_S,
    MAX_FPS,
    MAX_SIDE,
    Frame,
    check_duration,
    encode_frames,
    even,
    frame_count,
)
from engine.nodes.base import NodeContext
from engine.nodes.image import filename_of, image_port, open_image, parse_color, resize_image
from engine.nodes.support import as_items
from engine.values import Artifact

#: Most pictures ``video.from_images`` takes (all are held in memory while encoding).
MAX_IMAGES = 500

VIDEO_OUT = PortSpec(name="video", type=PortType.VIDEO, description="The resulting MP4 clip.")


def video_port(name: str = "video", description: str = "The clip to work on.") -> PortSpec:
    """A required video input port."""
    return PortSpec(name=name, type=PortType.VIDEO, description=description)


def fps_param(default: int = 24, *, minimum: int = 1, description: str = "") -> ParamSpec:
    """Frames per second of the result."""
    return ParamSpec(
        name="fps",
        kind=ParamKind.INTEGER,
        label="Frames per second",
        default=default,
        minimum=minimum,
        maximum=MAX_FPS,
        description=description or "Frame rate of the clip; 24 looks like film, 30 like TV.",
    )


def side_param(name: str, default: int = 0, what: str = "") -> ParamSpec:
    """A frame width or height in pixels (0 = automatic)."""
    return ParamSpec(
        name=name,
        kind=ParamKind.INTEGER,
        label=name.capitalize(),
        default=default,
        minimum=0,
        maximum=MAX_SIDE,
        description=f"{name.capitalize()} of the clip in pixels; 0 = {what or 'automatic'}. "
        "Odd sizes are rounded to even.",
    )


def seconds_param(
    name: str, label: str, default: float, description: str, *, minimum: float = 0.0
) -> ParamSpec:
    """A duration or time in seconds."""
    return ParamSpec(
        name=name,
        kind=ParamKind.NUMBER,
        label=label,
        default=default,
        minimum=minimum,
        maximum=MAX_DURATION_S,
        step=0.1,
        description=description,
    )


def frame_size(params: Mapping[str, Any], width: int, height: int) -> tuple[int, int]:
    """The clip size from the ``width``/``height`` params (0 = follow the source's aspect).

    With both at 0 the source size is used, scaled down to fit :data:`MAX_SIDE`.
    """
    want_w, want_h = int(params.get("width") or 0), int(params.get("height") or 0)
    if want_w and want_h:
        return even(want_w), even(want_h)
    if want_w:
        return even(want_w), even(want_w * height / width)
    if want_h:
        return even(want_h * width / height), even(want_h)
    scale = min(1.0, MAX_SIDE / max(width, height))
    return even(width * scale), even(height * scale)


def to_frame(image: Image.Image) -> Frame:
    """A Pillow image as an RGB frame array (transparency flattened onto black)."""
    if image.mode == "RGBA":
        flat = Image.new("RGBA", image.size, (0, 0, 0, 255))
        flat.alpha_composite(image)
        image = flat
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def encode_to_artifact(
    ctx: NodeContext,
    frames: Iterator[Frame],
    *,
    size: tuple[int, int],
    fps: int,
    filename: str | None,
    timeout_s: float,
) -> Artifact:
    """Encode ``frames`` and store the MP4."""
    with tempfile.TemporaryDirectory(prefix="patchbay-video-") as tmp:
        target = Path(tmp) / "clip.mp4"
        encode_frames(
            frames, width=size[0], height=size[1], fps=fps, target=target, timeout_s=timeout_s
        )
        return store_video(ctx.artifacts, target, filename=filename)


def encode_timeout(duration_s: float) -> float:
    """A generous wall-clock limit for encoding a clip of ``duration_s``."""
    return min(3600.0, 60.0 + 10.0 * duration_s)


def mp4_name(value: Any) -> str | None:
    """The input's file name with an .mp4 extension, if it has one."""
    name = filename_of(value)
    return f"{Path(name).stem}.mp4" if name else None


# ---------------------------------------------------------------- video.from_images

FROM_IMAGES = NodeSpec(
    type="video.from_images",
    category=Category.VIDEO,
    display_name="Video from Images",
    description="Turn a list of pictures into a slideshow clip, each shown for a set time "
    "(or sharing a total length), with an optional crossfade into the next.",
    aliases=("slideshow", "images to video", "frames to video", "animation", "mp4"),
    inputs=(
        PortSpec(
            name="images",
            type=PortType.IMAGE,
            is_list=True,
            description="The pictures, in order; every wire and every batch item is one.",
        ),
    ),
    outputs=(VIDEO_OUT,),
    params=(
        seconds_param(
            "seconds_per_image",
            "Seconds per image",
            2.0,
            "How long each picture stays on screen (crossfade included).",
            minimum=0.05,
        ),
        seconds_param(
            "total_seconds",
            "Total length",
            0.0,
            "When above 0, the clip has this length and the pictures share it equally "
            "(overrides Seconds per image).",
        ),
        seconds_param(
            "crossfade",
            "Crossfade",
            0.5,
            "Seconds over which each picture dissolves into the next; 0 = hard cuts. At "
            "most half of each picture's time is used.",
        ),
        fps_param(),
        side_param("width", what="the first picture's width"),
        side_param("height", what="the first picture's height"),
        ParamSpec(
            name="fit",
            kind=ParamKind.ENUM,
            label="Fit",
            default="pad",
            choices=("pad", "fill", "stretch"),
            description="Pictures of another shape: pad with the background colour, fill the "
            "frame and crop the overflow, or stretch.",
        ),
        ParamSpec(
            name="background",
            kind=ParamKind.COLOR,
            label="Background",
            default="#000000",
            description="Colour of the bars added by the pad fit.",
        ),
    ),
)


def run_from_images(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Encode the pictures as a slideshow."""
    items = as_items(inputs.get("images"))
    if not items:
        raise PermanentNodeError("no pictures: wire one or more images into `images`")
    if len(items) > MAX_IMAGES:
        raise PermanentNodeError(f"{len(items)} pictures is more than the limit of {MAX_IMAGES}")
    params = ctx.params
    pictures = [open_image(ctx, v, what=f"picture {i + 1}") for i, v in enumerate(items)]
    size = frame_size(params, pictures[0].width, pictures[0].height)
    background = parse_color(str(params["background"]))
    mode = str(params["fit"])
    frames = [
        to_frame(resize_image(p, *size, mode=mode, background=(*background[:3], 255)))
        for p in pictures
    ]
    count = len(frames)
    total = float(params["total_seconds"])
    per_image = total / count if total > 0 else float(params["seconds_per_image"])
    total = per_image * count
    check_duration(total)
    fps = int(params["fps"])
    crossfade = min(float(params["crossfade"]), per_image / 2)
    frame_total = frame_count(total, fps)

    def generate() -> Iterator[Frame]:
        for index in range(frame_total):
            t = index / fps
            slot = min(int(t // per_image), count - 1)
            into = t - slot * per_image - (per_image - crossfade)
            if crossfade > 0 and slot < count - 1 and into > 0:
                weight = round(256 * into / crossfade)
                a, b = frames[slot].astype(np.uint16), frames[slot + 1].astype(np.uint16)
                yield ((a * (256 - weight) + b * weight) >> 8).astype(np.uint8)
            else:
                yield frames[slot]
            if index % 24 == 0:
                ctx.report_progress(index / frame_total)

    video = encode_to_artifact(
        ctx,
        generate(),
        size=size,
        fps=fps,
        filename=mp4_name(items[0]),
        timeout_s=encode_timeout(total),
    )
    return {"video": video}


# ---------------------------------------------------------------- video.ken_burns

_DIRECTIONS = ("zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "pan_down")

KEN_BURNS = NodeSpec(
    type="video.ken_burns",
    category=Category.VIDEO,
    display_name="Ken Burns Clip",
    description="Bring a still picture to life: a slow zoom or pan across it, as a clip of "
    "the chosen length and size.",
    aliases=("pan and zoom", "zoom", "still to video", "image to video", "motion", "animate"),
    inputs=(image_port(description="The still picture."),),
    outputs=(VIDEO_OUT,),
    params=(
        seconds_param("duration", "Duration", 5.0, "Length of the clip in seconds.", minimum=0.1),
        fps_param(),
        side_param("width", 1280, "follow the height and the picture's aspect"),
        side_param("height", 720, "follow the width and the picture's aspect"),
        ParamSpec(
            name="direction",
            kind=ParamKind.ENUM,
            label="Movement",
            default="zoom_in",
            choices=_DIRECTIONS,
            description="zoom in or out on the centre, or pan across the picture (the camera "
            "moves left, right, up or down) at the Zoom magnification.",
        ),
        ParamSpec(
            name="zoom",
            kind=ParamKind.NUMBER,
            label="Zoom",
            default=1.25,
            minimum=1.0,
            maximum=4.0,
            step=0.05,
            description="Magnification at the closest point; pans need more than 1 to have "
            "room to move.",
        ),
        ParamSpec(
            name="easing",
            kind=ParamKind.ENUM,
            label="Easing",
            default="ease_in_out",
            choices=("ease_in_out", "linear"),
            description="ease_in_out starts and ends the movement gently; linear keeps one speed.",
        ),
    ),
)


def camera_box(
    direction: str,
    progress: float,
    zoom: float,
    picture: tuple[int, int],
    view: tuple[float, float],
) -> tuple[float, float, float, float]:
    """The part of a ``picture``-sized image in view at ``progress`` (0..1) of the movement.

    ``view`` is the whole-picture view: the largest box of the clip's aspect ratio
    that fits the picture. Zooms stay centred; pans travel the picture's full
    width or height, so a panorama is crossed end to end.
    """
    if direction == "zoom_in":
        scale = 1 + (zoom - 1) * progress
    elif direction == "zoom_out":
        scale = zoom - (zoom - 1) * progress
    else:
        scale = zoom
    box_w, box_h = view[0] / scale, view[1] / scale
    free_x, free_y = picture[0] - box_w, picture[1] - box_h
    left, top = free_x / 2, free_y / 2
    if direction == "pan_right":
        left = free_x * progress
    elif direction == "pan_left":
        left = free_x * (1 - progress)
    elif direction == "pan_down":
        top = free_y * progress
    elif direction == "pan_up":
        top = free_y * (1 - progress)
    return left, top, left + box_w, top + box_h


def run_ken_burns(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Render the camera movement over the still."""
    picture = open_image(ctx, inputs.get("image"))
    params = ctx.params
    size = frame_size(params, picture.width, picture.height)
    duration = float(params["duration"])
    check_duration(duration)
    zoom = float(params["zoom"])
    fps = int(params["fps"])
    aspect = size[0] / size[1]
    view_w = min(picture.width, picture.height * aspect)
    # No more detail than the closest view needs: keeps each frame's resize cheap.
    shrink = min(1.0, size[0] * zoom / view_w)
    if shrink < 1.0:
        scaled = (max(1, round(picture.width * shrink)), max(1, round(picture.height * shrink)))
        picture = picture.resize(scaled, Image.Resampling.LANCZOS)
        view_w *= shrink
    source = Image.fromarray(to_frame(picture))
    view = (view_w, view_w / aspect)
    direction, easing = str(params["direction"]), str(params["easing"])
    total = frame_count(duration, fps)

    def generate() -> Iterator[Frame]:
        for index in range(total):
            progress = index / (total - 1) if total > 1 else 0.0
            if easing == "ease_in_out":
                progress = progress * progress * (3 - 2 * progress)
            box = camera_box(direction, progress, zoom, source.size, view)
            frame = source.resize(size, Image.Resampling.BILINEAR, box=box)
            yield np.asarray(frame, dtype=np.uint8)
            if index % 24 == 0:
                ctx.report_progress(index / total)

    video = encode_to_artifact(
        ctx,
        generate(),
        size=size,
        fps=fps,
        filename=mp4_name(inputs.get("image")),
        timeout_s=encode_timeout(duration),
    )
    return {"video": video}


def register(catalog: Catalog) -> None:
    """Register every local video node (this module's and :mod:`engine.nodes.video_edit`'s)."""
    from engine.nodes import video_edit

    catalog.register(FROM_IMAGES, run_from_images)
    catalog.register(KEN_BURNS, run_ken_burns)
    video_edit.register(catalog)
