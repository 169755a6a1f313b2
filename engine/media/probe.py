"""What a media file holds, read from ffmpeg's own description (no ffprobe needed).

``ffmpeg -i FILE`` with no output prints the container duration and one line per
stream, then exits with an error ("At least one output file must be specified");
:func:`parse_ffmpeg_info` reads that text.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from engine.errors import PermanentNodeError
from engine.media.ffmpeg import command, error_text

PROBE_TIMEOUT_S = 30.0

_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #\d+:\d+\S*:\s*(Video|Audio):\s*(\w+)(.*)$", re.MULTILINE)
_SIZE = re.compile(r",\s*(\d{1,5})x(\d{1,5})(?=[\s,\[]|$)")
_FPS = re.compile(r"([\d.]+)\s*fps")
_TBR = re.compile(r"([\d.]+)k?\s*tbr")
_RATE = re.compile(r"(\d+)\s*Hz")
_LAYOUT = re.compile(r"Hz,\s*([^,]+)")
_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "4.0": 4, "5.0": 5, "5.1": 6, "7.1": 8}


@dataclass(frozen=True, slots=True)
class VideoStream:
    """A video stream: codec, frame size and frame rate (``None`` when not stated)."""

    codec: str
    width: int
    height: int
    fps: float | None


@dataclass(frozen=True, slots=True)
class AudioStream:
    """An audio stream: codec, sample rate and channel count."""

    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """The streams of a media file and its duration in seconds (``None`` if unknown)."""

    duration_s: float | None
    video: tuple[VideoStream, ...] = ()
    audio: tuple[AudioStream, ...] = ()

    @property
    def has_video(self) -> bool:
        """Whether the file has at least one video stream."""
        return bool(self.video)

    @property
    def has_audio(self) -> bool:
        """Whether the file has at least one audio stream."""
        return bool(self.audio)


def parse_ffmpeg_info(text: str) -> MediaInfo:
    """Read ``ffmpeg -i`` output (first input only) into a :class:`MediaInfo`."""
    outputs = text.find("Output #")
    if outputs >= 0:
        text = text[:outputs]
    duration = None
    match = _DURATION.search(text)
    if match is not None:
        hours, minutes, secs = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    video: list[VideoStream] = []
    audio: list[AudioStream] = []
    for kind, codec, rest in _STREAM.findall(text):
        if kind == "Video":
            size = _SIZE.search(rest)
            if size is None:
                continue
            rate = _FPS.search(rest) or _TBR.search(rest)
            fps = float(rate.group(1)) if rate else None
            video.append(VideoStream(codec, int(size.group(1)), int(size.group(2)), fps))
        else:
            hz = _RATE.search(rest)
            layout = _LAYOUT.search(rest)
            audio.append(AudioStream(codec, int(hz.group(1)) if hz else 0, _channels(layout)))
    return MediaInfo(duration, tuple(video), tuple(audio))


def _channels(layout: re.Match[str] | None) -> int:
    if layout is None:
        return 0
    name = layout.group(1).strip().split("(")[0].strip()
    if name in _CHANNELS:
        return _CHANNELS[name]
    count = re.match(r"(\d+)\s*channels", name)
    return int(count.group(1)) if count else 0


def probe(path: str | Path) -> MediaInfo:
    """Describe the media file at ``path``; raises :class:`PermanentNodeError` if unreadable."""
    file = Path(path)
    if not file.is_file():
        raise PermanentNodeError(f"file not found: {file}")
    try:
        completed = subprocess.run(
            command(["-i", str(file)], quiet=False),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PermanentNodeError(f"reading {file.name} took too long") from exc
    stderr = completed.stderr.decode("utf-8", "replace")
    info = parse_ffmpeg_info(stderr)
    if not info.video and not info.audio:
        reason = error_text(completed.stderr, limit=200)
        raise PermanentNodeError(f"{file.name} is not a media file ffmpeg can read ({reason})")
    return info
