"""Make the gallery thumbnails and the screenshots in the docs, from the real app.

    .venv/bin/python resources/examples/make_thumbnails.py [--only thumbnails|docs] [--xvfb]

Every picture is taken by the app's scripted screenshot mode,
``patchbay-studio [FILE] [--run [--preview]] --screenshot OUT.png --quit``, in a
1440x900 window with the dark theme:

- ``examples/thumbnails/<id>.png`` (480x300): each gallery example run to the end
  (examples with hosted nodes in preview mode), cropped to the canvas and scaled;
- ``docs/images/*.png`` (1440x900): the pictures README.md and docs/*.md show,
  listed in :data:`DOC_SHOTS` with the arguments that make them.

The examples run from a copy in a scratch folder, with their own data directory
and settings, so nothing is written into the package and no user setting shows.
The app runs on Qt's offscreen platform, or with ``--xvfb`` on a virtual X
display (``xvfb-run``), as a user's desktop would.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
THUMBNAILS = HERE / "thumbnails"
DOC_IMAGES = REPO / "docs" / "images"
THUMB_SIZE = (480, 300)
#: The canvas background (widgets/canvas/style.py); the thumbnail is cut from it.
CANVAS_RGB = (23, 25, 30)
RUN_TIMEOUT_S = 600

sys.path.insert(0, str(REPO))
from resources.gallery import Example, examples  # noqa: E402 (after the path is set)


@dataclass(frozen=True)
class Shot:
    """One scripted screenshot: ``out`` made by opening ``example`` (or nothing) with ``args``."""

    out: Path
    example: str | None
    args: tuple[str, ...] = ()


#: The docs' pictures: README.md shows run.png and editor.png, docs/running.md
#: run.png, docs/canvas.md canvas.png, the user guide start-page.png.
DOC_SHOTS = (
    Shot(DOC_IMAGES / "run.png", "contact-sheet", ("--run",)),
    Shot(DOC_IMAGES / "editor.png", "contact-sheet", ("--select", "grid", "--zoom", "58")),
    Shot(DOC_IMAGES / "canvas.png", "poster"),
    Shot(DOC_IMAGES / "start-page.png", None),
)
#: Files on the start page's Recent list (copies of examples under friendlier names).
RECENT = (
    ("spring-campaign.patchbay.json", "social-variants"),
    ("episode-12-clip.patchbay.json", "podcast-clip"),
    ("lighthouse-storyboard.patchbay.json", "storyboard"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("thumbnails", "docs"), help="make only these")
    parser.add_argument("--xvfb", action="store_true", help="use xvfb-run instead of offscreen")
    args = parser.parse_args(argv)
    gallery = examples()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="patchbay-shots-") as scratch:
        studio = _Studio(Path(scratch), xvfb=args.xvfb)
        if args.only in (None, "thumbnails"):
            THUMBNAILS.mkdir(exist_ok=True)
            for entry in gallery:
                failures += not studio.thumbnail(entry)
        if args.only in (None, "docs"):
            DOC_IMAGES.mkdir(parents=True, exist_ok=True)
            for shot in DOC_SHOTS:
                failures += not studio.doc_shot(shot)
    return 1 if failures else 0


class _Studio:
    """Runs ``patchbay-studio`` in scripted mode against a scratch copy of the examples."""

    def __init__(self, scratch: Path, *, xvfb: bool) -> None:
        self.scratch = scratch
        self.xvfb = xvfb
        self.home = scratch / "home"
        self.examples = self.home / "Patchbay examples"
        skip = shutil.ignore_patterns("thumbnails", "*.py", "__pycache__")
        shutil.copytree(HERE, self.examples, ignore=skip)
        self.config = scratch / "config"
        self.config.mkdir()
        self._runs = 0

    def thumbnail(self, entry: Example) -> bool:
        """Run ``entry`` and keep the canvas, scaled to a card's picture."""
        shot = self.scratch / f"{entry.id}.png"
        args = ("--run", "--preview") if entry.needs_key else ("--run",)
        if not self._take(shot, entry.id, args):
            return False
        with Image.open(shot) as window:
            picture = canvas_thumbnail(window.convert("RGB"))
        target = THUMBNAILS / f"{entry.id}.png"
        picture.save(target, optimize=True)
        print(f"wrote {target.relative_to(REPO)}")
        return True

    def doc_shot(self, shot: Shot) -> bool:
        """One picture of the docs, as the window shows it."""
        if shot.example is None:
            self.seed_recent_files()  # the start page (files opened by earlier shots are not)
        if not self._take(shot.out, shot.example, shot.args):
            return False
        with Image.open(shot.out) as picture:
            picture.convert("RGB").save(shot.out, optimize=True)
        print(f"wrote {shot.out.relative_to(REPO)}")
        return True

    def seed_recent_files(self) -> None:
        """Make the Recent list a few project files (the app drops those that do not exist)."""
        from PySide6.QtCore import QSettings

        paths = []
        for name, example_id in RECENT:
            target = self.home / "Projects" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.examples / f"{example_id}.patchbay.json", target)
            paths.append(str(target))
        store = QSettings(
            str(self.config / "Patchbay" / "Patchbay Studio.conf"), QSettings.Format.IniFormat
        )
        store.setValue("files/recent", paths)
        store.sync()

    def _take(self, out: Path, example_id: str | None, args: tuple[str, ...]) -> bool:
        self._runs += 1
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.endswith(("_API_KEY", "_API_TOKEN")) and key != "FAL_KEY"
        }
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.config),
            PATCHBAY_DATA_DIR=str(self.scratch / f"data-{self._runs}"),
            PATCHBAY_DISABLE_KEYRING="1",
            QT_QPA_PLATFORM="xcb" if self.xvfb else "offscreen",
        )
        command = [sys.executable, "-m", "app.main"]
        if example_id is not None:
            command.append(str(self.examples / f"{example_id}.patchbay.json"))
        command += [*args, "--theme", "dark", "--screenshot", str(out), "--quit"]
        if self.xvfb:
            command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", *command]
        done = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
        )
        if done.returncode != 0 or not out.is_file():
            print(f"FAILED {out.name} (exit {done.returncode}):\n{done.stderr[-2000:]}")
            return False
        return True


def canvas_thumbnail(window: Image.Image) -> Image.Image:
    """The graph on the canvas of a window screenshot, framed at the thumbnail's aspect."""
    top, bottom = canvas_rows(window)
    band = window.crop((0, top, window.width, bottom))
    left, upper, right, lower = content_box(band)
    margin = 24
    aspect = THUMB_SIZE[0] / THUMB_SIZE[1]
    box_w, box_h = right - left + 2 * margin, lower - upper + 2 * margin
    box_w, box_h = max(box_w, round(box_h * aspect)), max(box_h, round(box_w / aspect))
    x0, y0 = round((left + right - box_w) / 2), round((upper + lower - box_h) / 2)
    visible = (max(0, x0), max(0, y0), min(band.width, x0 + box_w), min(band.height, y0 + box_h))
    framed = Image.new("RGB", (box_w, box_h), CANVAS_RGB)  # canvas colour where the band ends
    framed.paste(band.crop(visible), (visible[0] - x0, visible[1] - y0))
    return framed.resize(THUMB_SIZE, Image.Resampling.LANCZOS)


def canvas_rows(window: Image.Image) -> tuple[int, int]:
    """The first and last row + 1 of the tallest run of canvas-coloured rows."""
    best, start = (0, window.height), None
    runs: list[tuple[int, int]] = []
    for y in range(window.height):
        edge = sorted(_rgb(window, x, y) for x in range(1, 14))[6]  # the median ignores dots
        if _near(edge, CANVAS_RGB):
            start = y if start is None else start
        elif start is not None:
            runs.append((start, y))
            start = None
    if start is not None:
        runs.append((start, window.height))
    if runs:
        best = max(runs, key=lambda run: run[1] - run[0])
    return best


def content_box(band: Image.Image) -> tuple[int, int, int, int]:
    """Where the graph is in the canvas band: everything brighter than the dot grid."""
    background = Image.new("RGB", band.size, CANVAS_RGB)
    difference = ImageChops.difference(band, background).convert("L")
    mask = difference.point(lambda value: 255 if value > 40 else 0)
    box = mask.getbbox()
    return box if box is not None else (0, 0, band.width, band.height)


def _rgb(image: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    pixel = image.getpixel((x, y))
    assert isinstance(pixel, tuple)
    return (int(pixel[0]), int(pixel[1]), int(pixel[2]))


def _near(rgb: tuple[int, int, int], target: tuple[int, int, int], tolerance: int = 1) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, target, strict=True))


if __name__ == "__main__":
    raise SystemExit(main())
