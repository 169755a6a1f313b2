"""image.load, image.save, image.resize, image.crop, image.rotate, image.adjust."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from engine.errors import PermanentNodeError
from engine.values import Artifact
from tests.engine.conftest import NodeRunner


def quadrants(width: int = 40, height: int = 20) -> Image.Image:
    """Red top-left, green top-right, blue bottom-left, white bottom-right."""
    image = Image.new("RGB", (width, height))
    half_w, half_h = width // 2, height // 2
    image.paste((255, 0, 0), (0, 0, half_w, half_h))
    image.paste((0, 255, 0), (half_w, 0, width, half_h))
    image.paste((0, 0, 255), (0, half_h, half_w, height))
    image.paste((255, 255, 255), (half_w, half_h, width, height))
    return image


def close(pixel: object, expected: tuple[int, ...], tolerance: int = 8) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=False))


# ---------------------------------------------------------------- load


def test_load_png_keeps_the_file_bytes_and_records_the_size(nodes: NodeRunner) -> None:
    quadrants().save(nodes.base_dir / "q.png")
    out = nodes.run("image.load", {"path": "q.png"})
    artifact = out["image"]
    assert out["name"] == "q.png"
    assert artifact.media_type == "image/png" and artifact.filename == "q.png"
    assert artifact.metadata == {"width": 40, "height": 20}
    assert nodes.artifacts.read_bytes(artifact) == (nodes.base_dir / "q.png").read_bytes()


@pytest.mark.parametrize(("suffix", "media_type"), [("jpg", "image/jpeg"), ("webp", "image/webp")])
def test_load_jpeg_and_webp(nodes: NodeRunner, suffix: str, media_type: str) -> None:
    quadrants().save(nodes.base_dir / f"q.{suffix}", quality=95)
    artifact = nodes.run("image.load", {"path": f"q.{suffix}"})["image"]
    assert artifact.media_type == media_type
    assert close(nodes.image(artifact).convert("RGB").getpixel((2, 2)), (255, 0, 0), 30)


def test_load_applies_exif_orientation(nodes: NodeRunner) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: display rotated 90 degrees clockwise
    quadrants().save(nodes.base_dir / "phone.jpg", exif=exif, quality=95)
    artifact = nodes.run("image.load", {"path": "phone.jpg"})["image"]
    upright = nodes.image(artifact)
    assert upright.size == (20, 40)
    assert artifact.metadata == {"width": 20, "height": 40}
    assert close(upright.getpixel((18, 2)), (255, 0, 0), 30)  # red top-left went top-right


def test_load_path_from_a_wire_wins_over_the_parameter(nodes: NodeRunner) -> None:
    quadrants().save(nodes.base_dir / "wired.png")
    out = nodes.run("image.load", {"path": "other.png"}, {"path": "wired.png"})
    assert out["name"] == "wired.png"


def test_load_errors(nodes: NodeRunner, tmp_path: Path) -> None:
    with pytest.raises(PermanentNodeError, match="no file was chosen"):
        nodes.run("image.load", {})
    with pytest.raises(PermanentNodeError, match="file not found"):
        nodes.run("image.load", {"path": "nope.png"})
    (nodes.base_dir / "fake.png").write_bytes(b"definitely not a png")
    with pytest.raises(PermanentNodeError, match=r"fake\.png is not an image"):
        nodes.run("image.load", {"path": "fake.png"})


# ---------------------------------------------------------------- save


def saved(nodes: NodeRunner, image: Artifact, **params: object) -> Path:
    out = nodes.run("image.save", params, {"image": image}, node_id="poster")
    assert out["image"] == image
    return Path(out["path"])


def test_save_writes_a_png_named_after_the_node(nodes: NodeRunner) -> None:
    image = nodes.put_image(quadrants())
    path = saved(nodes, image)
    assert path == (nodes.output_dir / "patchbay-poster.png").resolve()
    with Image.open(path) as written:
        assert written.format == "PNG" and written.size == (40, 20)


def test_save_never_overwrites_by_default(nodes: NodeRunner) -> None:
    first = nodes.put_image(quadrants())
    second = nodes.put_image(quadrants(20, 20))
    path = saved(nodes, first, filename="out.png")
    assert saved(nodes, first, filename="out.png") == path, "same content: same file"
    renamed = saved(nodes, second, filename="out.png")
    assert renamed.name == "out-1.png"
    with Image.open(path) as kept:
        assert kept.size == (40, 20)
    assert sorted(p.name for p in nodes.output_dir.iterdir()) == ["out-1.png", "out.png"]


def test_save_overwrite_and_error_policies(nodes: NodeRunner) -> None:
    first = nodes.put_image(quadrants())
    second = nodes.put_image(quadrants(20, 20))
    path = saved(nodes, first, filename="out.png")
    with pytest.raises(PermanentNodeError, match="already exists"):
        saved(nodes, second, filename="out.png", if_exists="error")
    assert saved(nodes, second, filename="out.png", if_exists="overwrite") == path
    with Image.open(path) as replaced:
        assert replaced.size == (20, 20)


def test_save_format_follows_the_extension(nodes: NodeRunner) -> None:
    translucent = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    image = nodes.put_image(translucent)
    path = saved(nodes, image, filename="sub/dir/photo.jpg", background="#00ff00")
    with Image.open(path) as jpeg:
        assert jpeg.format == "JPEG"
        assert close(jpeg.convert("RGB").getpixel((5, 5)), (0, 255, 0), 10)
    webp = saved(nodes, image, filename="photo.webp")
    with Image.open(webp) as written:
        assert written.format == "WEBP"
    with pytest.raises(PermanentNodeError, match=r"cannot save \.gif files"):
        saved(nodes, image, filename="anim.gif")


def test_save_placeholders_and_batch_items(nodes: NodeRunner, tmp_path: Path) -> None:
    image = nodes.put_image(quadrants())
    target = tmp_path / "abs" / "{node}-{width}x{height}.png"
    out = nodes.run("image.save", {"filename": str(target)}, {"image": image}, node_id="my node")
    assert Path(out["path"]).name == "my-node-40x20.png"
    item = nodes.run("image.save", {"filename": "shot.png"}, {"image": image}, item_index=2)
    assert Path(item["path"]).name == "shot-3.png"
    assert saved(nodes, image, filename="one-{item}.png").name == "one-1.png"
    with pytest.raises(PermanentNodeError, match=r"unknown placeholder \{size\}"):
        saved(nodes, image, filename="{size}.png")


# ---------------------------------------------------------------- resize


def resized(nodes: NodeRunner, image: Image.Image, **params: object) -> Image.Image:
    out = nodes.run("image.resize", params, {"image": nodes.put_image(image)})
    result = nodes.image(out["image"])
    assert out["image"].metadata == {"width": result.width, "height": result.height}
    return result


@pytest.mark.parametrize(
    ("mode", "size"),
    [("stretch", (30, 30)), ("fill", (30, 30)), ("pad", (30, 30)), ("fit", (30, 15))],
)
def test_resize_modes_give_the_expected_size(
    nodes: NodeRunner, mode: str, size: tuple[int, int]
) -> None:
    assert resized(nodes, quadrants(), width=30, height=30, mode=mode).size == size


def test_resize_fill_crops_and_pad_adds_bars(nodes: NodeRunner) -> None:
    filled = resized(nodes, quadrants(), width=20, height=20, mode="fill")
    assert close(filled.getpixel((1, 1)), (255, 0, 0), 40)  # centre cut keeps the quadrants
    padded = resized(nodes, quadrants(), width=40, height=40, mode="pad", background="#ffff00")
    assert padded.getpixel((20, 1)) == (255, 255, 0)  # bar above the picture
    assert close(padded.getpixel((5, 12)), (255, 0, 0))


def test_resize_keeps_the_aspect_ratio_when_one_side_is_zero(nodes: NodeRunner) -> None:
    assert resized(nodes, quadrants(40, 20), width=100, height=0).size == (100, 50)
    assert resized(nodes, quadrants(40, 20), width=0, height=10).size == (20, 10)


def test_resize_width_can_come_from_a_wire(nodes: NodeRunner) -> None:
    image = nodes.put_image(quadrants())
    out = nodes.run("image.resize", {"width": 10}, {"image": image, "width": 80.4})
    assert nodes.image(out["image"]).size == (80, 40)


def test_resize_errors(nodes: NodeRunner) -> None:
    image = nodes.put_image(quadrants())
    with pytest.raises(PermanentNodeError, match="set a width, a height, or both"):
        nodes.run("image.resize", {"width": 0, "height": 0}, {"image": image})
    with pytest.raises(PermanentNodeError, match="above the maximum"):
        nodes.run("image.resize", {}, {"image": image, "width": 99999})
    with pytest.raises(PermanentNodeError, match="megapixels"):
        nodes.run(
            "image.resize", {"width": 16000, "height": 16000, "mode": "stretch"}, {"image": image}
        )
    with pytest.raises(PermanentNodeError, match="expected an image, got a number"):
        nodes.run("image.resize", {}, {"image": 5})


# ---------------------------------------------------------------- crop


def cropped(nodes: NodeRunner, **params: object) -> Image.Image:
    out = nodes.run("image.crop", params, {"image": nodes.put_image(quadrants(40, 20))})
    return nodes.image(out["image"])


def test_crop_box(nodes: NodeRunner) -> None:
    part = cropped(nodes, x=20, y=10, width=15, height=5)
    assert part.size == (15, 5)
    assert part.getpixel((0, 0)) == (255, 255, 255)
    assert cropped(nodes, x=20, y=0).size == (20, 20)  # 0 = up to the edge


def test_crop_aspect_ratio_is_centred(nodes: NodeRunner) -> None:
    square = cropped(nodes, mode="aspect", aspect="1:1")
    assert square.size == (20, 20)
    assert square.getpixel((0, 0)) == (255, 0, 0) and square.getpixel((19, 0)) == (0, 255, 0)
    assert cropped(nodes, mode="aspect", aspect="4").size == (40, 10)


def test_crop_outside_the_image_is_explained(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="goes outside the 40x20 image"):
        cropped(nodes, x=30, y=0, width=20, height=5)
    with pytest.raises(PermanentNodeError, match=r"starts at \(50, 0\), outside"):
        cropped(nodes, x=50)
    with pytest.raises(PermanentNodeError, match="expected W:H"):
        cropped(nodes, mode="aspect", aspect="wide")


# ---------------------------------------------------------------- rotate


def rotated(nodes: NodeRunner, **params: object) -> Image.Image:
    out = nodes.run("image.rotate", params, {"image": nodes.put_image(quadrants(40, 20))})
    return nodes.image(out["image"])


def test_rotate_quarter_turn_clockwise_is_exact(nodes: NodeRunner) -> None:
    turned = rotated(nodes, degrees=90)
    assert turned.size == (20, 40)
    assert turned.getpixel((19, 0)) == (255, 0, 0)  # top-left corner moved to the top-right
    assert rotated(nodes, degrees=-90).getpixel((0, 39)) == (255, 0, 0)


def test_rotate_any_angle_expands_with_transparent_corners(nodes: NodeRunner) -> None:
    tilted = rotated(nodes, degrees=30)
    assert tilted.width > 40 and tilted.height > 20
    assert tilted.mode == "RGBA" and tilted.getpixel((0, 0))[3] == 0  # type: ignore[index]
    same = rotated(nodes, degrees=30, expand=False, fill="#ff00ff")
    assert same.size == (40, 20) and same.mode == "RGB"
    assert same.getpixel((0, 19)) == (255, 0, 255)


# ---------------------------------------------------------------- adjust


def adjusted(nodes: NodeRunner, image: Image.Image, **params: object) -> Image.Image:
    out = nodes.run("image.adjust", params, {"image": nodes.put_image(image)})
    return nodes.image(out["image"])


def test_adjust_factors(nodes: NodeRunner) -> None:
    assert adjusted(nodes, quadrants(), brightness=0).getpixel((1, 1)) == (0, 0, 0)
    grey = adjusted(nodes, quadrants(), saturation=0).getpixel((1, 1))
    assert isinstance(grey, tuple) and grey[0] == grey[1] == grey[2]
    flat = adjusted(nodes, quadrants(), contrast=0)
    assert flat.getpixel((1, 1)) == flat.getpixel((39, 19))
    assert adjusted(nodes, quadrants()).tobytes() == quadrants().tobytes()


def test_adjust_keeps_transparency(nodes: NodeRunner) -> None:
    image = Image.new("RGBA", (4, 4), (200, 100, 50, 60))
    result = adjusted(nodes, image, brightness=0.5)
    assert result.getpixel((0, 0)) == (100, 50, 25, 60)


def test_confined_context_refuses_files_outside_its_folders(tmp_path: Path) -> None:
    from engine.artifacts import ArtifactStore
    from engine.errors import PermanentNodeError
    from engine.nodes.base import NodeContext

    inside = tmp_path / "workflow"
    inside.mkdir()
    (inside / "ok.png").write_bytes(b"x")
    ctx = NodeContext(
        "n",
        "image.load",
        {},
        ArtifactStore(tmp_path / "a"),
        base_dir=inside,
        output_dir=inside / "out",
        confined=True,
    )
    assert ctx.existing_file("ok.png") == inside / "ok.png"
    (tmp_path / "secret.png").write_bytes(b"x")
    (inside / "link.png").symlink_to(tmp_path / "secret.png")
    assert ctx.resolve_path("~/a.png") == inside / "~" / "a.png"  # no home expansion
    for sneaky in ["/etc/passwd", "../secret.png", "link.png"]:
        with pytest.raises(PermanentNodeError, match="only read files inside"):
            ctx.resolve_path(sneaky)
    with pytest.raises(PermanentNodeError, match="only write files inside"):
        ctx.output_path("../../escape.png")
    assert ctx.output_path("sheet.png") == inside / "out" / "sheet.png"
