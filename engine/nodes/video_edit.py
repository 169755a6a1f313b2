"""Local video editing nodes (ffmpeg): concat, trim, extract frame, add audio, resize.

Every node probes its inputs first, so a clip that is too long, has no video
stream or is not a media file is refused with a clear message before any work.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.media.ffmpeg import AAC_ARGS, H264_ARGS, MP4_ARGS, limit_args, run_ffmpeg, seconds
from engine.media.probe import MediaInfo, probe
from engine.media.store import media_path, probe_video, stem, store_video
from engine.media.video import MAX_DURATION_S, check_duration, even
from engine.nodes.base import NodeContext
from engine.nodes.image import IMAGE_OUT, filename_of, store_image
from engine.nodes.support import as_items
from engine.nodes.video import (
    VIDEO_OUT,
    encode_timeout,
    fps_param,
    seconds_param,
    side_param,
    video_port,
)
from engine.values import Artifact

MAX_CLIPS = 100
_AUDIO_RATE = "48000"


def _open_video(ctx: NodeContext, value: Any, what: str = "video") -> tuple[Path, MediaInfo]:
    path = media_path(ctx, value, kind=PortType.VIDEO, what=what)
    info = probe_video(path, what=what)
    if (info.duration_s or 0) > MAX_DURATION_S + 1:
        raise PermanentNodeError(
            f"{what} is {info.duration_s:.0f} s long; the limit is {MAX_DURATION_S:g} s"
        )
    return path, info


def _render(
    ctx: NodeContext, args: list[str], *, duration_s: float, what: str, name: Any
) -> Artifact:
    """Run ffmpeg writing one MP4 and store it."""
    with tempfile.TemporaryDirectory(prefix="patchbay-video-") as tmp:
        target = Path(tmp) / "out.mp4"
        run_ffmpeg(
            [*args, *MP4_ARGS, *limit_args(), "-y", str(target)],
            timeout_s=encode_timeout(duration_s),
            what=what,
        )
        return store_video(ctx.artifacts, target, filename=filename_of(name))


def _fit_filter(mode: str, width: int, height: int, background: str = "black") -> str:
    """A scale (and crop or pad) filter putting any frame into ``width`` x ``height``."""
    if mode == "stretch":
        return f"scale={width}:{height},setsar=1"
    if mode == "fill":
        return (
            f"scale={width}:{height}:force_original_aspect_ratio=increase,"
            f"crop={width}:{height},setsar=1"
        )
    fitted = f"scale={width}:{height}:force_original_aspect_ratio=decrease"
    if mode == "fit":
        return f"{fitted},scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1"
    return f"{fitted},pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color={background},setsar=1"


# ---------------------------------------------------------------- video.concat

CONCAT = NodeSpec(
    type="video.concat",
    category=Category.VIDEO,
    display_name="Concatenate Videos",
    description="Join clips one after another into one video. Clips of other sizes are "
    "letterboxed to the first clip's size (or the size set here); clips without sound "
    "get silence when any clip has sound.",
    aliases=("join", "merge", "append", "sequence", "combine clips", "stitch"),
    inputs=(
        PortSpec(
            name="videos",
            type=PortType.VIDEO,
            is_list=True,
            description="The clips, in order; every wire and every batch item is one.",
        ),
    ),
    outputs=(VIDEO_OUT,),
    params=(
        side_param("width", what="the first clip's width"),
        side_param("height", what="the first clip's height"),
        fps_param(0, minimum=0, description="Frame rate of the result; 0 = the first clip's."),
    ),
)


def run_concat(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Join the clips."""
    items = as_items(inputs.get("videos"))
    if not items:
        raise PermanentNodeError("no clips: wire one or more videos into `videos`")
    if len(items) > MAX_CLIPS:
        raise PermanentNodeError(f"{len(items)} clips is more than the limit of {MAX_CLIPS}")
    clips = [_open_video(ctx, v, f"clip {i + 1}") for i, v in enumerate(items)]
    total = sum(info.duration_s or 0 for _, info in clips)
    check_duration(total, what="the joined video")
    first = clips[0][1].video[0]
    width = even(int(ctx.params["width"]) or first.width)
    height = even(int(ctx.params["height"]) or first.height)
    fps = int(ctx.params["fps"]) or round(first.fps or 24)
    with_audio = any(info.has_audio for _, info in clips)
    args: list[str] = []
    graph: list[str] = []
    labels = ""
    for index, (path, info) in enumerate(clips):
        args += ["-i", str(path)]
        graph.append(
            f"[{index}:v:0]{_fit_filter('pad', width, height)},fps={fps},format=yuv420p[v{index}]"
        )
        labels += f"[v{index}]"
        if with_audio:
            length = seconds(info.duration_s or 0)
            source = (
                f"[{index}:a:0]aresample={_AUDIO_RATE},apad"
                if info.has_audio
                else f"anullsrc=r={_AUDIO_RATE}:cl=stereo"
            )
            graph.append(
                f"{source},aformat=sample_fmts=fltp:channel_layouts=stereo,"
                f"atrim=duration={length}[a{index}]"
            )
            labels += f"[a{index}]"
    audio_flag = 1 if with_audio else 0
    graph.append(
        f"{labels}concat=n={len(clips)}:v=1:a={audio_flag}[v]{'[a]' if with_audio else ''}"
    )
    args += ["-filter_complex", ";".join(graph), "-map", "[v]", *H264_ARGS]
    args += ["-map", "[a]", *AAC_ARGS] if with_audio else ["-an"]
    video = _render(ctx, args, duration_s=total, what="joining the clips", name=items[0])
    return {"video": video}


# ---------------------------------------------------------------- video.trim

TRIM = NodeSpec(
    type="video.trim",
    category=Category.VIDEO,
    display_name="Trim Video",
    description="Keep the part of a clip between a start and an end time (sound included).",
    aliases=("cut", "clip", "shorten", "subclip", "in and out points"),
    inputs=(video_port(),),
    outputs=(VIDEO_OUT,),
    params=(
        seconds_param("start", "Start", 0.0, "Seconds from the beginning where the result starts."),
        seconds_param(
            "end", "End", 0.0, "Seconds from the beginning where it ends; 0 = the clip's end."
        ),
    ),
)


def run_trim(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Cut the clip to [start, end]."""
    path, info = _open_video(ctx, inputs.get("video"))
    length = info.duration_s or 0.0
    start, end = float(ctx.params["start"]), float(ctx.params["end"]) or length
    if start >= length:
        raise PermanentNodeError(
            f"start {start:g} s is at or after the end of the {length:.2f} s clip"
        )
    if end <= start:
        raise PermanentNodeError(f"end {end:g} s must be after start {start:g} s")
    end = min(end, length)
    args = ["-ss", seconds(start), "-i", str(path), "-t", seconds(end - start), "-map", "0:v:0"]
    args += [*H264_ARGS]
    args += ["-map", "0:a:0", *AAC_ARGS] if info.has_audio else ["-an"]
    video = _render(ctx, args, duration_s=end - start, what="trimming", name=inputs.get("video"))
    return {"video": video}


# ---------------------------------------------------------------- video.extract_frame

EXTRACT_FRAME = NodeSpec(
    type="video.extract_frame",
    category=Category.VIDEO,
    display_name="Extract Frame",
    description="Take one frame of a clip as a picture: at a time from the start, or from "
    "the end with a negative time (-0.01 gives the last frame).",
    aliases=("still", "screenshot", "thumbnail", "poster frame", "last frame", "video to image"),
    inputs=(video_port(),),
    outputs=(IMAGE_OUT.model_copy(update={"description": "The frame, at the clip's size."}),),
    params=(
        ParamSpec(
            name="time",
            kind=ParamKind.NUMBER,
            label="Time",
            default=0.0,
            minimum=-MAX_DURATION_S,
            maximum=MAX_DURATION_S,
            step=0.1,
            description="Seconds from the start; negative counts back from the end.",
        ),
    ),
)


def run_extract_frame(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Decode the frame at the requested time."""
    path, info = _open_video(ctx, inputs.get("video"))
    length = info.duration_s or 0.0
    wanted = float(ctx.params["time"])
    at = wanted if wanted >= 0 else length + wanted
    if at < 0 or at > length:
        raise PermanentNodeError(f"time {wanted:g} s is outside the {length:.2f} s clip")
    frame_s = 1.0 / (info.video[0].fps or 24)
    at = max(0.0, min(at, length - 1.5 * frame_s))  # a seek to the very end finds no frame
    data = run_ffmpeg(
        [
            "-ss",
            seconds(at),
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "image2pipe",
            "-c:v",
            "png",
            "pipe:1",
        ],
        timeout_s=60,
        what="extracting the frame",
    )
    if not data:
        raise PermanentNodeError(f"no frame found at {at:.2f} s")
    with Image.open(io.BytesIO(data)) as frame:
        picture = frame.convert("RGB")
    filename = stem(inputs.get("video"), ".png")
    return {"image": store_image(ctx, picture, filename=filename)}


# ---------------------------------------------------------------- video.add_audio

ADD_AUDIO = NodeSpec(
    type="video.add_audio",
    category=Category.VIDEO,
    display_name="Add Audio to Video",
    description="Put a sound track (voice-over, music) on a clip: replace the clip's own "
    "sound or mix with it. The result is an MP4 with AAC audio.",
    aliases=("mux", "soundtrack", "voice over", "dub", "merge audio", "replace audio"),
    inputs=(
        video_port(description="The clip that gets the sound."),
        PortSpec(
            name="audio",
            type=PortType.AUDIO,
            description="The sound (WAV, MP3 …, or a video whose sound is used).",
        ),
    ),
    outputs=(VIDEO_OUT,),
    params=(
        ParamSpec(
            name="mode",
            kind=ParamKind.ENUM,
            label="Mode",
            default="replace",
            choices=("replace", "mix"),
            description="replace: the clip's own sound is dropped; mix: both are heard.",
        ),
        ParamSpec(
            name="length",
            kind=ParamKind.ENUM,
            label="Length",
            default="longest",
            choices=("longest", "video", "audio", "shortest"),
            description="longest: nothing is cut (the last frame is held or silence added); "
            "video or audio: the result has that input's length; shortest: cut to the shorter.",
        ),
        seconds_param("offset", "Audio offset", 0.0, "Seconds of silence before the sound starts."),
        ParamSpec(
            name="volume",
            kind=ParamKind.NUMBER,
            label="Volume",
            default=1.0,
            minimum=0.0,
            maximum=4.0,
            step=0.05,
            description="Loudness of the added sound (1 = unchanged).",
        ),
        ParamSpec(
            name="original_volume",
            kind=ParamKind.NUMBER,
            label="Original volume",
            default=1.0,
            minimum=0.0,
            maximum=4.0,
            step=0.05,
            description="In mix mode, loudness of the clip's own sound (1 = unchanged).",
        ),
    ),
)


def run_add_audio(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Mux the sound into the clip."""
    video_path, video = _open_video(ctx, inputs.get("video"))
    audio_path = media_path(ctx, inputs.get("audio"), kind=PortType.AUDIO, what="audio")
    audio = probe(audio_path)
    if not audio.has_audio:
        raise PermanentNodeError("the audio input has no sound stream")
    params = ctx.params
    offset = float(params["offset"])
    video_s = video.duration_s or 0.0
    audio_s = (audio.duration_s or 0.0) + offset
    duration = {
        "longest": max(video_s, audio_s),
        "video": video_s,
        "audio": audio_s,
        "shortest": min(video_s, audio_s),
    }[str(params["length"])]
    check_duration(duration, what="the result")
    args = ["-i", str(video_path), "-i", str(audio_path)]
    graph: list[str] = []
    delay = f"adelay={round(offset * 1000)}:all=1," if offset > 0 else ""
    sound = f"[1:a:0]{delay}volume={float(params['volume']):g}"
    if params["mode"] == "mix" and video.has_audio:
        graph.append(f"[0:a:0]volume={float(params['original_volume']):g}[a0]")
        graph.append(f"{sound}[a1]")
        graph.append("[a0][a1]amix=inputs=2:duration=longest:normalize=0,apad[a]")
    else:
        graph.append(f"{sound},apad[a]")
    hold = duration - video_s
    if hold > 0.01:
        graph.append(f"[0:v:0]tpad=stop_mode=clone:stop_duration={seconds(hold)}[v]")
        video_args = ["-map", "[v]", *H264_ARGS]
    elif video.video[0].codec == "h264":
        video_args = ["-map", "0:v:0", "-c:v", "copy"]
    else:
        video_args = ["-map", "0:v:0", *H264_ARGS]
    args += ["-filter_complex", ";".join(graph), *video_args, "-map", "[a]", *AAC_ARGS]
    args += ["-t", seconds(duration)]
    result = _render(
        ctx, args, duration_s=duration, what="adding the audio", name=inputs.get("video")
    )
    return {"video": result}


# ---------------------------------------------------------------- video.resize

RESIZE = NodeSpec(
    type="video.resize",
    category=Category.VIDEO,
    display_name="Resize Video",
    description="Scale a clip to a width and/or height (leave one at 0 to keep the aspect "
    "ratio), optionally changing its frame rate. Sound is kept.",
    aliases=("scale video", "downscale", "upscale video", "change resolution", "fps", "crop video"),
    inputs=(video_port(),),
    outputs=(VIDEO_OUT,),
    params=(
        side_param("width", 1280, "follow the height, keeping the aspect"),
        side_param("height", 0, "follow the width, keeping the aspect"),
        ParamSpec(
            name="mode",
            kind=ParamKind.ENUM,
            label="Mode",
            default="fit",
            choices=("fit", "fill", "pad", "stretch"),
            description="When both sides are set: fit inside the box, fill it and crop the "
            "overflow, pad to the exact box with black bars, or stretch.",
        ),
        fps_param(0, minimum=0, description="New frame rate; 0 = keep the clip's."),
    ),
)


def run_resize(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Scale the clip."""
    path, info = _open_video(ctx, inputs.get("video"))
    width, height = int(ctx.params["width"]), int(ctx.params["height"])
    if not width and not height:
        raise PermanentNodeError("set a width, a height, or both")
    if width and height:
        scale = _fit_filter(str(ctx.params["mode"]), even(width), even(height))
    elif width:
        scale = f"scale={even(width)}:-2,setsar=1"
    else:
        scale = f"scale=-2:{even(height)},setsar=1"
    fps = int(ctx.params["fps"])
    chain = f"{scale},fps={fps}" if fps else scale
    args = ["-i", str(path), "-map", "0:v:0", "-vf", f"{chain},format=yuv420p", *H264_ARGS]
    args += ["-map", "0:a:0", *AAC_ARGS] if info.has_audio else ["-an"]
    video = _render(
        ctx, args, duration_s=info.duration_s or 0, what="resizing", name=inputs.get("video")
    )
    return {"video": video}


def register(catalog: Catalog) -> None:
    """Register concat, trim, extract frame, add audio and resize."""
    catalog.register(CONCAT, run_concat)
    catalog.register(TRIM, run_trim)
    catalog.register(EXTRACT_FRAME, run_extract_frame)
    catalog.register(ADD_AUDIO, run_add_audio)
    catalog.register(RESIZE, run_resize)
