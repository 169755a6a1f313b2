"""Placeholder pictures for preview mode: a "PREVIEW" card showing the prompt.

Colours come from a hash of a seed text, so the same prompt always gives the same
card (and the content-addressed cache recognises it), while different prompts are
easy to tell apart on the canvas.
"""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LABEL = "PREVIEW"


def palette(seed: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Two deterministic colours (dark-ish and lighter) from ``seed``."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    top = (40 + digest[0] % 120, 40 + digest[1] % 120, 40 + digest[2] % 120)
    bottom = (90 + digest[3] % 140, 90 + digest[4] % 140, 90 + digest[5] % 140)
    return top, bottom


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font(size: int) -> Font:
    """Pillow's built-in font at ``size`` pixels (a bitmap font without FreeType)."""
    return ImageFont.load_default(size=max(6, size))


def gradient(width: int, height: int, seed: str) -> Image.Image:
    """A vertical two-colour gradient."""
    top, bottom = palette(seed)
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    colours = np.array(top, np.float32) * (1 - ramp) + np.array(bottom, np.float32) * ramp
    pixels = np.broadcast_to(colours, (height, width, 3)).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(pixels))


def wrap(draw: ImageDraw.ImageDraw, text: str, face: Font, width: float, limit: int) -> list[str]:
    """Greedy word wrap of ``text`` into at most ``limit`` lines of ``width`` pixels."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if line and draw.textlength(candidate, font=face) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    if len(lines) > limit:
        lines = [*lines[: limit - 1], lines[limit - 1] + " ..."]
    return [_fit(draw, line, face, width) for line in lines if line] or [""]


def _fit(draw: ImageDraw.ImageDraw, line: str, face: Font, width: float) -> str:
    """``line`` cut (with "...") to ``width`` pixels: one long word must not overflow."""
    if draw.textlength(line, font=face) <= width:
        return line
    while line and draw.textlength(line + "...", font=face) > width:
        line = line[:-1]
    return line + "..."


def preview_card(width: int, height: int, *, title: str, text: str, seed: str) -> Image.Image:
    """A ``width`` x ``height`` RGB card: ``title`` at the top, ``text`` below, PREVIEW big."""
    card = gradient(width, height, seed)
    stamp(card, title=title, text=text)
    return card


def stamp(image: Image.Image, *, title: str, text: str = "") -> None:
    """Draw the PREVIEW label, ``title`` and ``text`` on a card (in place)."""
    width, height = image.size
    short = min(width, height)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    margin = max(2, short // 24)
    small = font(max(6, short // 22))
    heading = wrap(draw, title, small, width - 2 * margin, 2)
    draw.multiline_text((margin, margin), "\n".join(heading), font=small, fill=(255, 255, 255, 235))
    if text:
        body = font(max(6, short // 28))
        top = margin * 2 + len(heading) * (short // 22 + 4)
        room = max(1, (height // 2 - top) // (short // 28 + 4))
        lines = wrap(draw, text, body, width - 2 * margin, room)
        draw.multiline_text((margin, top), "\n".join(lines), font=body, fill=(255, 255, 255, 210))
    big = font(max(8, min(width // 5, height // 4)))
    box = draw.textbbox((0, 0), LABEL, font=big)
    label_w, label_h = box[2] - box[0], box[3] - box[1]
    x, y = (width - label_w) // 2, (height - label_h) // 2 + height // 10
    pad = max(2, label_h // 4)
    draw.rectangle(
        (x - 2 * pad, y - pad, x + label_w + 2 * pad, y + label_h + 2 * pad), fill=(0, 0, 0, 120)
    )
    draw.text((x - box[0], y - box[1] + pad // 2), LABEL, font=big, fill=(255, 255, 255, 255))
    _composite(image, overlay)


def badge(image: Image.Image, *, title: str) -> None:
    """Draw a "PREVIEW · title" band along the bottom of a picture (in place)."""
    width, height = image.size
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    size = max(6, min(width, height) // 18)
    face = font(size)
    band = 2 * size
    line = wrap(draw, f"{LABEL} · {title}", face, width - band, 1)[0]
    draw.rectangle((0, height - band, width, height), fill=(16, 16, 16, 255))
    draw.text((size // 2, height - band // 2), line, font=face, fill="white", anchor="lm")
    _composite(image, overlay)


def _composite(image: Image.Image, overlay: Image.Image) -> None:
    base = image.convert("RGBA")
    base.alpha_composite(overlay)
    image.paste(base.convert(image.mode))


def subject_mask(width: int, height: int) -> Image.Image:
    """A greyscale mask with a white ellipse in the middle (a plausible subject)."""
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    draw.ellipse((width * 0.25, height * 0.15, width * 0.75, height * 0.9), fill=255)
    return mask
