"""Small but real media files the doubles hand out as outputs."""

from __future__ import annotations

import io
import struct

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
