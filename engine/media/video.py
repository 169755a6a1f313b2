"""Encoding frames into H.264 MP4 by piping raw RGB into ffmpeg."""

from __future__ import annotations

import math
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engine.errors import PermanentNodeError
from engine.media.ffmpeg import (
    AAC_ARGS,
    DEFAULT_TIMEOUT_S,
    H264_ARGS,
    MP4_ARGS,
    command,
    error_text,
    limit_args,
)

Frame = npt.NDArray[np.uint8]

#: Largest frame side a video node produces (4K).
MAX_SIDE = 4096
#: Longest clip a video node produces, in seconds.
MAX_DURATION_S = 600.0
MAX_FPS = 60


def even(value: float) -> int:
    """``value`` rounded to an even number of pixels (H.264 with yuv420p needs it), at least 2."""
    return max(2, 2 * math.floor(value / 2 + 0.5))


def check_video_size(width: int, height: int) -> None:
    """Refuse frame sizes too small or too large for a clip."""
    if width < 2 or height < 2:
        raise PermanentNodeError(f"a {width}x{height} video is too small; use at least 2x2")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise PermanentNodeError(
            f"a {width}x{height} video is larger than the {MAX_SIDE} pixel limit per side"
        )


def check_duration(duration_s: float, *, what: str = "the clip") -> None:
    """Refuse clips longer than :data:`MAX_DURATION_S` or empty ones."""
    if duration_s <= 0:
        raise PermanentNodeError(f"{what} would be empty ({duration_s:g} s)")
    if duration_s > MAX_DURATION_S:
        raise PermanentNodeError(
            f"{what} would be {duration_s:g} s long; the limit is {MAX_DURATION_S:g} s"
        )


def encode_frames(
    frames: Iterable[Frame],
    *,
    width: int,
    height: int,
    fps: float,
    target: Path,
    audio: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> None:
    """Write RGB ``frames`` (``height x width x 3`` uint8) to an MP4 file at ``target``.

    ``audio``, when given, is muxed as AAC and cut to the video's length.
    """
    check_video_size(width, height)
    args = [
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{width}x{height}",
        "-r",
        f"{fps:g}",
        "-i",
        "pipe:0",
    ]
    if audio is not None:
        args += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", *AAC_ARGS, "-shortest"]
    args += [*H264_ARGS, "-r", f"{fps:g}", *MP4_ARGS, *limit_args(), "-y", str(target)]
    argv = command(args)
    argv.remove("-nostdin")  # stdin carries the frames
    deadline = time.monotonic() + timeout_s
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors
        )
        assert process.stdin is not None
        broken = False
        try:
            for frame in frames:
                if frame.shape != (height, width, 3):
                    raise ValueError(f"frame of shape {frame.shape}, expected {(height, width, 3)}")
                if time.monotonic() > deadline:
                    raise PermanentNodeError(
                        f"encoding the video took longer than {timeout_s:g} s and was stopped"
                    )
                try:
                    process.stdin.write(np.ascontiguousarray(frame).tobytes())
                except BrokenPipeError:
                    broken = True
                    break
            try:
                process.stdin.close()
            except BrokenPipeError:
                broken = True
            try:
                code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired as exc:
                raise PermanentNodeError(
                    f"encoding the video took longer than {timeout_s:g} s and was stopped"
                ) from exc
        except BaseException:
            process.kill()
            process.wait()
            raise
        errors.seek(0)
        message = error_text(errors.read())
    if code != 0 or broken:
        raise PermanentNodeError(f"encoding the video failed: {message}")


def frame_count(duration_s: float, fps: float) -> int:
    """Frames needed for ``duration_s`` at ``fps`` (at least one)."""
    return max(1, round(duration_s * fps))
