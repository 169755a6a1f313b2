"""image.upscale, image.blur, image.sharpen, image.mask_from_*, image.background_fill."""

from __future__ import annotations

import pytest
from PIL import Image, ImageFilter

from engine.catalog import default_catalog
from engine.errors import PermanentNodeError
from tests.engine.conftest import NodeRunner, assert_local_spec_complete

EXTRA_TYPES = (
    "image.upscale",
    "image.blur",
    "image.sharpen",
    "image.mask_from_color",
    "image.mask_from_alpha",
    "image.background_fill",
)


def halves(width: int = 40, height: int = 20) -> Image.Image:
    """Black left half, white right half."""
    image = Image.new("RGB", (width, height), (0, 0, 0))
    image.paste((255, 255, 255), (width // 2, 0, width, height))
    return image


def cutout() -> Image.Image:
    """A 40x20 transparent picture with an opaque red square at x 10..20."""
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (10, 5, 20, 15))
    return image


@pytest.mark.parametrize("node_type", EXTRA_TYPES)
def test_specs_are_complete_and_free(node_type: str) -> None:
    assert_local_spec_complete(default_catalog().spec(node_type))


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale_multiplies_the_size(nodes: NodeRunner, factor: int) -> None:
    source = nodes.put_image(halves(), filename="logo.png")
    out = nodes.run("image.upscale", {"factor": factor}, {"image": source})["image"]
    assert out.metadata == {"width": 40 * factor, "height": 20 * factor}
    assert out.filename == "logo.png"
    result = nodes.image(out)
    assert result.getpixel((2, 2)) == (0, 0, 0) and result.getpixel((result.width - 2, 2)) == (
        255,
        255,
        255,
    )


def test_upscale_refuses_a_result_beyond_the_limit(nodes: NodeRunner) -> None:
    huge = nodes.put_image(Image.new("RGB", (5000, 2)))
    with pytest.raises(PermanentNodeError, match="limit"):
        nodes.run("image.upscale", {"factor": 4}, {"image": huge})


def test_blur_softens_the_edge_and_zero_keeps_it(nodes: NodeRunner) -> None:
    source = nodes.put_image(halves())
    blurred = nodes.image(nodes.run("image.blur", {"radius": 3}, {"image": source})["image"])
    assert 40 < blurred.getpixel((19, 10))[0] < 215  # type: ignore[index]
    boxed = nodes.image(
        nodes.run("image.blur", {"radius": 3, "kind": "box"}, {"image": source})["image"]
    )
    assert 40 < boxed.getpixel((19, 10))[0] < 215  # type: ignore[index]
    same = nodes.run("image.blur", {"radius": 0}, {"image": source})["image"]
    assert nodes.image(same).tobytes() == halves().tobytes()


def test_sharpen_increases_edge_contrast(nodes: NodeRunner) -> None:
    soft = halves().filter(ImageFilter.GaussianBlur(2))
    source = nodes.put_image(soft)
    sharp = nodes.image(nodes.run("image.sharpen", {"amount": 300}, {"image": source})["image"])
    dark_side, light_side = (18, 10), (21, 10)
    assert sharp.getpixel(dark_side)[0] < soft.getpixel(dark_side)[0] - 10  # type: ignore[index]
    assert sharp.getpixel(light_side)[0] > soft.getpixel(light_side)[0] + 10  # type: ignore[index]
    unchanged = nodes.run("image.sharpen", {"amount": 0}, {"image": source})["image"]
    assert nodes.image(unchanged).tobytes() == soft.tobytes()


def test_mask_from_color_selects_matching_pixels(nodes: NodeRunner) -> None:
    picture = Image.new("RGB", (40, 20), (0, 200, 0))
    picture.paste((250, 250, 250), (0, 0, 10, 20))
    picture.paste((20, 180, 30), (30, 0, 40, 20))  # close to the key colour
    source = nodes.put_image(picture, filename="shot.png")
    out = nodes.run(
        "image.mask_from_color", {"color": "#00c800", "tolerance": 50}, {"image": source}
    )
    mask = out["mask"]
    assert mask.kind.value == "mask" and mask.metadata == {"width": 40, "height": 20}
    assert mask.filename == "shot-mask.png"
    pixels = nodes.image(mask)
    assert pixels.mode == "L"
    assert (pixels.getpixel((5, 5)), pixels.getpixel((20, 5)), pixels.getpixel((35, 5))) == (
        0,
        255,
        255,
    )
    strict = nodes.run(
        "image.mask_from_color",
        {"color": "#00c800", "tolerance": 5, "invert": True},
        {"image": source},
    )
    inverted = nodes.image(strict["mask"])
    assert (inverted.getpixel((20, 5)), inverted.getpixel((35, 5))) == (0, 255)


def test_mask_feather_softens_the_edge(nodes: NodeRunner) -> None:
    source = nodes.put_image(halves())
    mask = nodes.run(
        "image.mask_from_color",
        {"color": "#ffffff", "tolerance": 0, "feather": 3},
        {"image": source},
    )
    assert 0 < nodes.image(mask["mask"]).getpixel((20, 10)) < 255  # type: ignore[operator]


def test_mask_from_alpha_reads_transparency(nodes: NodeRunner) -> None:
    source = nodes.put_image(cutout())
    mask = nodes.image(nodes.run("image.mask_from_alpha", {}, {"image": source})["mask"])
    assert (mask.getpixel((15, 10)), mask.getpixel((2, 2))) == (255, 0)
    opaque = nodes.put_image(halves())
    full = nodes.image(
        nodes.run("image.mask_from_alpha", {"invert": True}, {"image": opaque})["mask"]
    )
    assert full.getextrema() == (0, 0)


def test_mask_from_alpha_threshold_makes_hard_edges(nodes: NodeRunner) -> None:
    soft = Image.new("RGBA", (4, 1))
    soft.putdata([(0, 0, 0, a) for a in (0, 100, 200, 255)])
    mask = nodes.run("image.mask_from_alpha", {"threshold": 150}, {"image": nodes.put_image(soft)})
    assert [nodes.image(mask["mask"]).getpixel((x, 0)) for x in range(4)] == [0, 0, 255, 255]


def test_background_fill_puts_a_colour_behind_the_cutout(nodes: NodeRunner) -> None:
    source = nodes.put_image(cutout())
    out = nodes.image(
        nodes.run("image.background_fill", {"color": "#0000ff"}, {"image": source})["image"]
    )
    assert out.mode == "RGB"
    assert out.getpixel((15, 10)) == (255, 0, 0) and out.getpixel((2, 2)) == (0, 0, 255)


def test_background_fill_with_a_mask_and_a_picture(nodes: NodeRunner) -> None:
    subject = nodes.put_image(halves())
    mask_image = Image.new("L", (40, 20), 0)
    mask_image.paste(255, (30, 0, 40, 20))
    mask = nodes.put_image(mask_image.convert("RGB"))
    backdrop = nodes.put_image(Image.new("RGB", (80, 80), (0, 128, 0)))
    out = nodes.run(
        "image.background_fill", {}, {"image": subject, "mask": mask, "background": backdrop}
    )
    result = nodes.image(out["image"])
    assert result.size == (40, 20)
    assert result.getpixel((35, 10)) == (255, 255, 255)
    assert result.getpixel((25, 10)) == (0, 128, 0) and result.getpixel((5, 10)) == (0, 128, 0)
    small = nodes.put_image(Image.new("RGB", (10, 10)))
    with pytest.raises(PermanentNodeError, match="resize the mask"):
        nodes.run("image.background_fill", {}, {"image": subject, "mask": small})
