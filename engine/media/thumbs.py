"""Small previews of media files for a user interface: a video's frame, a sound's peaks.

Both run the bundled ffmpeg synchronously and take a fraction of a second for a
short clip, so callers with a user interface run them in a worker thread. They
read the file only and write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import PermanentNodeError
from engine.media.audio import MAX_SECONDS
from engine.media.ffmpeg import run_ffmpeg, seconds

#: Wall-clock limit of one preview (ffmpeg is killed after it).
PREVIEW_TIMEOUT_S = 60.0
#: Samples per second the peaks are computed from (speech and music read well at 8 kHz).
PEAK_RATE = 8000


def extract_frame_png(
    path: str | Path,
    at_s: float = 0.0,
    *,
    max_height: int | None = None,
    timeout_s: float = PREVIEW_TIMEOUT_S,
) -> bytes:
    """The frame of the video at ``path`` shown at ``at_s`` seconds, as PNG bytes.

    With ``max_height`` a taller frame is scaled down to that height (aspect kept,
    width even); a smaller one is left as it is. Raises :class:`PermanentNodeError`
    when the file cannot be read or has no frame at ``at_s``.
    """
    file = Path(path)
    args = ["-ss", seconds(at_s), "-i", str(file), "-frames:v", "1", "-an", "-sn"]
    if max_height is not None:
        args += ["-vf", f"scale=-2:min(ih\\,{max(2, int(max_height))})"]
    args += ["-f", "image2pipe", "-c:v", "png", "-"]
    data = run_ffmpeg(args, timeout_s=timeout_s, what=f"reading a frame of {file.name}")
    if not data.startswith(b"\x89PNG"):
        raise PermanentNodeError(f"{file.name} has no frame at {at_s:g} s")
    return data


@dataclass(frozen=True, slots=True)
class Waveform:
    """A sound summarised in equal slices: the peak and RMS level of each, in 0..1."""

    peaks: tuple[float, ...]
    rms: tuple[float, ...]
    duration_s: float

    @property
    def silent(self) -> bool:
        """Whether no slice rises above silence."""
        return not any(self.peaks)


def audio_waveform(
    path: str | Path, buckets: int = 120, *, timeout_s: float = PREVIEW_TIMEOUT_S
) -> Waveform:
    """Decode the sound at ``path`` (mixed to mono) and summarise it in ``buckets`` slices.

    Any format ffmpeg reads works (WAV, MP3, AAC, the audio of a video). A sound
    shorter than ``buckets`` samples gets one slice per sample. Raises
    :class:`PermanentNodeError` when ffmpeg cannot decode it.
    """
    file = Path(path)
    raw = run_ffmpeg(
        [
            "-i",
            str(file),
            "-vn",
            "-sn",
            "-t",
            seconds(MAX_SECONDS),
            "-ac",
            "1",
            "-ar",
            str(PEAK_RATE),
            "-f",
            "f32le",
            "-c:a",
            "pcm_f32le",
            "-",
        ],
        timeout_s=timeout_s,
        what=f"reading the sound of {file.name}",
    )
    samples = np.abs(np.frombuffer(raw[: len(raw) // 4 * 4], dtype="<f4"))
    duration = len(samples) / PEAK_RATE
    if not len(samples):
        return Waveform((), (), 0.0)
    count = max(1, min(int(buckets), len(samples)))
    slices = np.array_split(np.clip(samples, 0.0, 1.0), count)
    peaks = tuple(round(float(s.max()), 4) for s in slices)
    rms = tuple(round(float(np.sqrt(np.mean(np.square(s)))), 4) for s in slices)
    return Waveform(peaks, rms, duration)
