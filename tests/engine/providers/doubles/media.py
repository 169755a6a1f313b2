"""Small but real media files the doubles hand out as outputs."""

from __future__ import annotations

import io
import struct
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


def png(
    width: int, height: int, colour: tuple[int, int, int] = (200, 40, 40), image_format: str = "PNG"
) -> bytes:
    """An image of the given size (PNG unless ``image_format`` says JPEG or WEBP)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=image_format)
    return buffer.getvalue()


def mp4_stub() -> bytes:
    """The first boxes of an MP4 file (``ftyp`` + empty ``mdat``): enough to be typed."""
    ftyp = b"ftypisom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", 8) + b"mdat"


def wav(seconds: float = 0.1, rate: int = 8000) -> bytes:
    """A silent mono 16-bit WAV file."""
    frames = int(seconds * rate)
    data = b"\x00\x00" * frames
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + b"data" + struct.pack("<I", len(data)) + data


#: Small stand-ins for fal's ``image_size`` presets (same aspect ratios).
FAL_SIZES = {
    "square_hd": (64, 64),
    "square": (32, 32),
    "portrait_4_3": (48, 64),
    "portrait_16_9": (36, 64),
    "landscape_4_3": (64, 48),
    "landscape_16_9": (64, 36),
}


def mp4(seconds: float, first_frame: bytes | None = None, *, fps: int = 12) -> bytes:
    """A real H.264 MP4 of ``seconds`` that fades in from ``first_frame`` (64x36 if none).

    Encoded with the ffmpeg bundled by imageio-ffmpeg, for doubles of video models.
    """
    from engine.media.video import encode_frames, frame_count

    if first_frame is not None:
        with Image.open(io.BytesIO(first_frame)) as image:
            still = image.convert("RGB")
    else:
        still = Image.new("RGB", (64, 36), (40, 90, 200))
    width, height = still.width // 2 * 2, still.height // 2 * 2  # H.264 wants even sides
    base = np.asarray(still.resize((width, height)), dtype=np.float32)
    count = frame_count(seconds, fps)
    frames = (
        (base * (0.5 + 0.5 * index / max(1, count - 1))).astype(np.uint8) for index in range(count)
    )
    with tempfile.TemporaryDirectory(prefix="double-mp4-") as folder:
        target = Path(folder) / "clip.mp4"
        encode_frames(frames, width=width, height=height, fps=fps, target=target, timeout_s=30)
        return target.read_bytes()


def mp3(seconds: float) -> bytes:
    """A real MP3 (a quiet 220 Hz tone, 22.05 kHz mono) of ``seconds``, for speech doubles."""
    from engine.media.audio import encode_wav, tone
    from engine.media.ffmpeg import run_ffmpeg

    source = encode_wav(tone(seconds, frequency=220.0, sample_rate=22050))
    args = ["-f", "wav", "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3"]
    return run_ffmpeg([*args, "pipe:1"], input_bytes=source, timeout_s=30, what="encoding MP3")
