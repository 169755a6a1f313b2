"""image.composite, image.caption and image.grid."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.errors import PermanentNodeError
from engine.nodes.image_compose import grid_shape
from engine.values import Batch
from tests.engine.conftest import NodeRunner

# ---------------------------------------------------------------- composite


def composite(
    nodes: NodeRunner, base: Image.Image, overlay: Image.Image, **params: object
) -> Image.Image:
    inputs = {"base": nodes.put_image(base), "overlay": nodes.put_image(overlay)}
    mask = params.pop("mask", None)
    if isinstance(mask, Image.Image):
        inputs["mask"] = nodes.put_image(mask)
    return nodes.image(nodes.run("image.composite", params, inputs)["image"])


def test_composite_places_the_overlay_at_the_offset(nodes: NodeRunner) -> None:
    result = composite(
        nodes, Image.new("RGB", (50, 50), "white"), Image.new("RGB", (10, 10), "red"), x=5, y=20
    )
    assert result.size == (50, 50) and result.mode == "RGB"
    assert result.getpixel((5, 20)) == (255, 0, 0) and result.getpixel((14, 29)) == (255, 0, 0)
    assert result.getpixel((4, 20)) == (255, 255, 255) and result.getpixel((15, 29)) == (
        255,
        255,
        255,
    )


def test_composite_anchor_opacity_and_partial_overlap(nodes: NodeRunner) -> None:
    base, red = Image.new("RGB", (50, 50), (0, 0, 0)), Image.new("RGB", (10, 10), (255, 0, 0))
    corner = composite(nodes, base, red, anchor="bottom-right", opacity=0.5)
    pixel = corner.getpixel((49, 49))
    assert isinstance(pixel, tuple) and 120 <= pixel[0] <= 135 and pixel[1] == 0
    assert corner.getpixel((39, 39)) == (0, 0, 0)
    hanging = composite(nodes, base, red, x=-5, y=-5)  # only a quarter shows
    assert hanging.getpixel((4, 4)) == (255, 0, 0) and hanging.getpixel((5, 5)) == (0, 0, 0)


def test_composite_mask_hides_where_black(nodes: NodeRunner) -> None:
    mask = Image.new("L", (10, 10), 0)
    mask.paste(255, (0, 0, 5, 10))
    result = composite(
        nodes,
        Image.new("RGB", (10, 10), "white"),
        Image.new("RGB", (10, 10), "blue"),
        mask=mask.convert("RGB"),
    )
    assert result.getpixel((2, 5)) == (0, 0, 255) and result.getpixel((7, 5)) == (255, 255, 255)


def test_composite_errors(nodes: NodeRunner) -> None:
    base, overlay = Image.new("RGB", (20, 20)), Image.new("RGB", (10, 10))
    with pytest.raises(PermanentNodeError, match="mask is 5x5 but the overlay is 10x10"):
        composite(nodes, base, overlay, mask=Image.new("RGB", (5, 5)))
    with pytest.raises(PermanentNodeError, match="entirely outside the 20x20 base"):
        composite(nodes, base, overlay, x=20)


def test_composite_keeps_a_transparent_base_transparent(nodes: NodeRunner) -> None:
    result = composite(
        nodes, Image.new("RGBA", (20, 20), (0, 0, 0, 0)), Image.new("RGB", (5, 5), "red")
    )
    assert result.mode == "RGBA"
    assert result.getpixel((2, 2)) == (255, 0, 0, 255) and result.getpixel((10, 10))[3] == 0  # type: ignore[index]


# ---------------------------------------------------------------- caption

GREY = (128, 128, 128)


def caption(
    nodes: NodeRunner,
    text: object,
    size: tuple[int, int] = (200, 120),
    filename: str | None = None,
    **params: object,
) -> Image.Image:
    image = nodes.put_image(Image.new("RGB", size, GREY), filename=filename)
    out = nodes.run("image.caption", params, {"image": image, "text": text})
    return nodes.image(out["image"])


def changed_rows(image: Image.Image) -> np.ndarray:
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    return np.flatnonzero(np.abs(pixels - np.array(GREY)).sum(axis=2).any(axis=1))


def test_caption_draws_a_band_with_text_at_the_bottom(nodes: NodeRunner) -> None:
    result = caption(nodes, "Hello", font_size=20, padding=6)
    rows = changed_rows(result)
    assert rows.min() > 60 and rows.max() == 119  # only the bottom band changed
    band = np.asarray(result)[rows.min() :, :, :]
    assert (band.max(axis=2) > 200).any(), "white text is drawn in the band"


def test_caption_top_and_centre(nodes: NodeRunner) -> None:
    assert changed_rows(caption(nodes, "Hi", position="top", font_size=16)).min() == 0
    centre = changed_rows(caption(nodes, "Hi", position="center", font_size=16))
    assert centre.min() > 20 and centre.max() < 100


def test_caption_without_band_only_touches_the_glyphs(nodes: NodeRunner) -> None:
    result = caption(nodes, "I", background="#00000000", font_size=30)
    pixels = np.asarray(result, dtype=np.int16)
    assert (np.abs(pixels - np.array(GREY)).sum(axis=2) > 0).mean() < 0.05


def test_caption_wraps_long_text_into_a_taller_band(nodes: NodeRunner) -> None:
    one_line = changed_rows(caption(nodes, "short", font_size=16)).size
    wrapped = changed_rows(
        caption(nodes, "many words that will not fit on one line here", font_size=16)
    ).size
    assert wrapped >= one_line + 16  # at least one more line


def test_caption_shortens_text_that_cannot_fit(nodes: NodeRunner) -> None:
    result = caption(nodes, "word " * 200, size=(100, 60), font_size=14)
    assert result.size == (100, 60)


def test_caption_extend_adds_the_band_outside_the_picture(nodes: NodeRunner) -> None:
    result = caption(
        nodes,
        "Title",
        placement="extend",
        position="top",
        font_size=20,
        padding=10,
        background="#000000",
    )
    assert result.width == 200 and result.height > 120
    added = result.height - 120
    picture = np.full((120, 200, 3), 128)
    assert (np.asarray(result)[added:] == picture).all()
    assert (np.asarray(result)[:added] != 128).any()
    below = caption(
        nodes, "Title", placement="extend", font_size=20, padding=10, background="#000000"
    )
    assert below.height == result.height
    assert (np.asarray(below)[:120] == picture).all()


def test_caption_placeholders_use_the_image_name(nodes: NodeRunner) -> None:
    named = caption(nodes, "{stem}", filename="dawn.png", font_size=20)
    literal = caption(nodes, "dawn", font_size=20)
    assert named.tobytes() == literal.tobytes()


def test_caption_font_size_from_a_wire(nodes: NodeRunner) -> None:
    image = nodes.put_image(Image.new("RGB", (200, 120), GREY))
    small = nodes.run("image.caption", {"font_size": 12}, {"image": image, "text": "A"})
    big = nodes.run(
        "image.caption", {"font_size": 12}, {"image": image, "text": "A", "font_size": 40.2}
    )
    assert (
        changed_rows(nodes.image(big["image"])).size
        > changed_rows(nodes.image(small["image"])).size
    )


def test_caption_with_empty_text_passes_the_image_through(nodes: NodeRunner) -> None:
    image = nodes.put_image(Image.new("RGB", (20, 20)))
    assert nodes.run("image.caption", {}, {"image": image, "text": "  "}) == {"image": image}


def test_caption_errors(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="does not fit on a 200x120 image"):
        caption(nodes, "Huge", font_size=200)
    with pytest.raises(PermanentNodeError, match="file not found"):
        caption(nodes, "x", font="fonts/missing.ttf")
    (nodes.base_dir / "bad.ttf").write_bytes(b"not a font")
    with pytest.raises(PermanentNodeError, match="not a font file"):
        caption(nodes, "x", font="bad.ttf")


# ---------------------------------------------------------------- grid


@pytest.mark.parametrize(
    ("count", "columns", "shape"),
    [
        (1, 0, (1, 1)),
        (4, 0, (2, 2)),
        (5, 0, (3, 2)),
        (6, 0, (3, 2)),
        (10, 0, (4, 3)),
        (3, 5, (3, 1)),
        (5, 2, (2, 3)),
    ],
)
def test_grid_shape(count: int, columns: int, shape: tuple[int, int]) -> None:
    assert grid_shape(count, columns) == shape


def tiles(nodes: NodeRunner, count: int, size: tuple[int, int] = (30, 20)) -> Batch:
    colours = ["red", "green", "blue", "yellow", "cyan", "magenta", "white"]
    return Batch(
        tuple(nodes.put_image(Image.new("RGB", size, colours[i % 7])) for i in range(count))
    )


def test_grid_size_follows_columns_rows_gap_and_margin(nodes: NodeRunner) -> None:
    out = nodes.run("image.grid", {"gap": 4, "margin": 10}, {"images": tiles(nodes, 5)})
    sheet = nodes.image(out["image"])
    assert sheet.size == (2 * 10 + 3 * 30 + 2 * 4, 2 * 10 + 2 * 20 + 4)
    assert sheet.getpixel((10, 10)) == (255, 0, 0)  # first cell starts after the margin
    assert sheet.getpixel((10 + 30 + 4, 10)) == (0, 128, 0)  # second cell after one gap
    assert sheet.getpixel((10, 10 + 20 + 4)) == (255, 255, 0)  # fourth image starts row 2
    assert sheet.getpixel((5, 5)) == (0x18, 0x18, 0x1B)  # the margin shows the background
    last_cell = (10 + 2 * 34 + 15, 10 + 24 + 10)
    assert sheet.getpixel(last_cell) == (0x18, 0x18, 0x1B), "empty cells stay background"


def test_grid_with_fixed_columns_and_cells(nodes: NodeRunner) -> None:
    params = {
        "columns": 2,
        "cell_width": 60,
        "cell_height": 60,
        "gap": 0,
        "margin": 0,
        "background": "#ffffff",
    }
    sheet = nodes.image(nodes.run("image.grid", params, {"images": tiles(nodes, 3)})["image"])
    assert sheet.size == (120, 120)
    assert sheet.getpixel((30, 30)) == (255, 0, 0)
    assert sheet.getpixel((30, 2)) == (255, 255, 255), "fit letterboxes a 3:2 tile in a square"
    filled = nodes.image(
        nodes.run("image.grid", {**params, "fit": "fill"}, {"images": tiles(nodes, 3)})["image"]
    )
    assert filled.getpixel((30, 2)) == (255, 0, 0)


def test_grid_accepts_a_plain_list_and_mixed_sizes(nodes: NodeRunner) -> None:
    images = [*tiles(nodes, 1, (10, 40)).items, *tiles(nodes, 1, (40, 10)).items]
    sheet = nodes.image(
        nodes.run("image.grid", {"gap": 0, "margin": 0}, {"images": images})["image"]
    )
    assert sheet.size == (80, 40)  # cells take the widest and the tallest image


def test_grid_errors(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="received no images"):
        nodes.run("image.grid", {}, {"images": []})
    with pytest.raises(PermanentNodeError, match="image 2: expected an image, got a number"):
        nodes.run("image.grid", {}, {"images": [*tiles(nodes, 1).items, 7]})
    with pytest.raises(PermanentNodeError, match="image 2: file not found"):
        nodes.run("image.grid", {}, {"images": [*tiles(nodes, 1).items, "x.png"]})
    with pytest.raises(PermanentNodeError, match="the grid would be"):
        nodes.run(
            "image.grid",
            {"cell_width": 4096, "cell_height": 4096, "columns": 5},
            {"images": tiles(nodes, 5)},
        )
