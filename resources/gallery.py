"""The example gallery: the bundled example workflows, in the order the start page shows them.

:func:`examples` lists them with a title, a one-line summary, the workflow file,
its thumbnail (``examples/thumbnails/<id>.png``, made by
``examples/make_thumbnails.py`` from the real app) and whether it has hosted model
nodes (``needs_key``: without keys it runs offline only in preview mode).

:func:`untitled_copy` is what "open an example" means: the workflow, with every
file it names relative to its own folder (``assets/orbit.png``,
``comfyui/txt2img_api.json``) made absolute, so the copy runs from anywhere,
unsaved and with no path of its own, and saving it never touches the bundled file.

Everything is read with :mod:`importlib.resources`, so it works from a source
tree, an installed wheel and a PyInstaller bundle alike. No Qt here: the engine's
tests and the headless self-test use it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from engine.workflow import FILE_SUFFIX, Node, Workflow, load_workflow

__all__ = ["Example", "example", "examples", "examples_dir", "untitled_copy"]


@dataclass(frozen=True)
class Example:
    """One example workflow of the gallery."""

    id: str
    title: str
    summary: str
    path: Path
    thumbnail: Path | None
    needs_key: bool


#: ``(id, title, summary)`` in gallery order; the file is ``examples/<id>.patchbay.json``.
_GALLERY: tuple[tuple[str, str, str], ...] = (
    (
        "contact-sheet",
        "Contact sheet",
        "Six pictures, each captioned with its name, on one titled sheet.",
    ),
    (
        "product-to-video",
        "Product shot → video → voice-over",
        "A one-line brief becomes a product shot, a moving clip and a narrated MP4.",
    ),
    (
        "social-variants",
        "Social media variants",
        "One picture and caption as 1:1, 4:5, 9:16 and 16:9 posts, saved and compared.",
    ),
    (
        "storyboard",
        "Storyboard from a script",
        "A frame per line of a script, captioned on a sheet, plus a moving animatic.",
    ),
    (
        "podcast-clip",
        "Podcast clip with captions",
        "A script read aloud over captioned cover art, joined into a square MP4.",
    ),
    (
        "comfyui-txt2img",
        "ComfyUI text-to-image",
        "Your ComfyUI API workflow as one node: prompt and seed in, picture out.",
    ),
    (
        "poster",
        "Poster",
        "A picture punched up, cropped to 4:5 and titled, sized from one width.",
    ),
)


def examples_dir() -> Path:
    """The folder of the bundled example workflows (``resources/examples``)."""
    try:
        return Path(str(resources.files("resources").joinpath("examples")))
    except (NotADirectoryError, TypeError):  # a namespace package (an old editable install)
        import resources as package

        for entry in package.__path__:
            candidate = Path(entry) / "examples"
            if candidate.is_dir():
                return candidate
        raise FileNotFoundError("resources/examples") from None


def examples() -> list[Example]:
    """Every example of the gallery, in gallery order."""
    return list(_load())


def example(example_id: str) -> Example:
    """The example called ``example_id``; raises ``KeyError`` for an unknown id."""
    for entry in _load():
        if entry.id == example_id:
            return entry
    raise KeyError(example_id)


def untitled_copy(entry: Example) -> Workflow:
    """The example's workflow with the files it names made absolute (see the module doc)."""
    workflow = load_workflow(entry.path).workflow
    folder = entry.path.resolve().parent
    nodes = [_with_absolute_files(node, folder) for node in workflow.nodes]
    return workflow.model_copy(update={"nodes": nodes})


@cache
def _load() -> tuple[Example, ...]:
    from engine.catalog.registry import default_catalog  # the catalog is built on first use

    catalog = default_catalog()
    folder = examples_dir()
    entries = []
    for example_id, title, summary in _GALLERY:
        path = folder / f"{example_id}{FILE_SUFFIX}"
        thumbnail = folder / "thumbnails" / f"{example_id}.png"
        specs = (catalog.get(node.type) for node in load_workflow(path).workflow.nodes)
        hosted = any(spec is not None and spec.provider != "local" for spec in specs)
        entries.append(
            Example(
                id=example_id,
                title=title,
                summary=summary,
                path=path,
                thumbnail=thumbnail if thumbnail.is_file() else None,
                needs_key=hosted,
            )
        )
    return tuple(entries)


def _with_absolute_files(node: Node, folder: Path) -> Node:
    data = {key: _absolute_lines(value, folder) for key, value in node.data.items()}
    return node if data == node.data else node.model_copy(update={"data": data})


def _absolute_lines(value: object, folder: Path) -> object:
    """A text whose every non-empty line names a file in ``folder``, with absolute paths.

    Covers a file parameter (``assets/orbit.png``) and a list of files, one per
    line (the contact sheet's input); prompts and other text never name files
    there, so they are left alone.
    """
    if not isinstance(value, str) or not value.strip():
        return value
    lines = value.split("\n")
    named = [line.strip() for line in lines if line.strip()]
    if not all(_is_relative_file(line, folder) for line in named):
        return value
    return "\n".join(str(folder / line.strip()) if line.strip() else line for line in lines)


def _is_relative_file(text: str, folder: Path) -> bool:
    path = Path(text)
    if path.is_absolute() or ".." in path.parts:
        return False
    try:
        return (folder / path).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL character
        return False
