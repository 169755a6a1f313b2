"""Draw the small pictures the example workflows use (run once; the PNGs are committed).

    python resources/examples/assets/make_assets.py

Everything is computed (gradients and shapes, fixed seeds), so the output is the
same on every machine and no image of unknown licence is bundled.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 320, 240
HERE = Path(__file__).resolve().parent

Colour = tuple[int, int, int]


def vertical_gradient(top: Colour, bottom: Colour) -> Image.Image:
    """A top-to-bottom blend of two colours."""
    t = np.linspace(0.0, 1.0, HEIGHT)[:, None, None]
    rows = (1 - t) * np.array(top) + t * np.array(bottom)
    pixels = np.broadcast_to(rows, (HEIGHT, WIDTH, 3))
    return Image.fromarray(pixels.round().astype(np.uint8), "RGB")


def radial_gradient(centre: Colour, edge: Colour, cx: float, cy: float) -> Image.Image:
    """A blend from ``centre`` at (cx, cy) to ``edge`` at the farthest corner."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    distance = np.hypot(xs - cx, ys - cy)
    t = (distance / distance.max())[:, :, None]
    pixels = (1 - t) * np.array(centre) + t * np.array(edge)
    return Image.fromarray(pixels.round().astype(np.uint8), "RGB")


def hills(
    draw: ImageDraw.ImageDraw, base: int, amplitude: float, phase: float, fill: Colour
) -> None:
    """A band of rolling hills along the bottom."""
    points = [(0, HEIGHT)]
    for x in range(0, WIDTH + 8, 8):
        y = base + amplitude * math.sin(x / 47 + phase) + amplitude / 2 * math.sin(x / 19 + phase)
        points.append((x, round(y)))
    points.append((WIDTH, HEIGHT))
    draw.polygon(points, fill=fill)


def dawn() -> Image.Image:
    image = vertical_gradient((255, 170, 110), (250, 96, 130))
    draw = ImageDraw.Draw(image)
    draw.ellipse((190, 70, 260, 140), fill=(255, 236, 170))
    hills(draw, 175, 14, 0.5, (122, 54, 96))
    hills(draw, 200, 10, 2.0, (70, 32, 70))
    return image


def lagoon() -> Image.Image:
    image = vertical_gradient((120, 220, 230), (10, 90, 140))
    draw = ImageDraw.Draw(image)
    for row in range(6):
        y0 = 110 + row * 22
        points = [(x, y0 + 5 * math.sin(x / 18 + row)) for x in range(0, WIDTH + 4, 4)]
        draw.line(points, fill=(220, 250, 255), width=2)
    return image


def ember() -> Image.Image:
    image = radial_gradient((255, 230, 120), (150, 20, 30), 160, 150)
    draw = ImageDraw.Draw(image)
    rng = random.Random(3)
    for _ in range(40):
        x, y, r = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT), rng.uniform(1.5, 4)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 245, 200))
    return image


def meadow() -> Image.Image:
    image = vertical_gradient((150, 205, 255), (225, 245, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 90, 90), fill=(255, 250, 210))
    hills(draw, 160, 16, 1.0, (120, 190, 90))
    hills(draw, 195, 12, 3.0, (60, 140, 70))
    return image


def dusk() -> Image.Image:
    image = vertical_gradient((40, 30, 90), (170, 90, 160))
    draw = ImageDraw.Draw(image)
    rng = random.Random(7)
    for _ in range(60):
        x, y = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT * 0.6)
        draw.point((x, y), fill=(255, 255, 230))
    crescent = Image.new("L", image.size, 0)
    shape = ImageDraw.Draw(crescent)
    shape.ellipse((220, 40, 270, 90), fill=255)
    shape.ellipse((232, 34, 282, 84), fill=0)
    image.paste((250, 240, 200), (0, 0), crescent)
    hills(draw, 205, 8, 0.2, (30, 20, 50))
    return image


def orbit() -> Image.Image:
    image = radial_gradient((40, 50, 90), (8, 8, 20), 160, 120)
    draw = ImageDraw.Draw(image)
    for radius in (50, 80, 110):
        draw.ellipse(
            (160 - radius, 120 - radius * 0.45, 160 + radius, 120 + radius * 0.45),
            outline=(120, 150, 230),
            width=1,
        )
    draw.ellipse((135, 95, 185, 145), fill=(240, 160, 80))
    draw.ellipse((262, 108, 278, 124), fill=(180, 220, 255))
    return image.filter(ImageFilter.SMOOTH)


PICTURES: dict[str, Callable[[], Image.Image]] = {
    "dawn": dawn,
    "lagoon": lagoon,
    "ember": ember,
    "meadow": meadow,
    "dusk": dusk,
    "orbit": orbit,
}


def main() -> None:
    for name, draw in PICTURES.items():
        path = HERE / f"{name}.png"
        draw().save(path, optimize=True)
        print(f"{path.name}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
