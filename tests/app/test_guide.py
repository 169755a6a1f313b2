"""docs/guide.md keeps up with the studio: every shortcut is in its table, every link resolves."""

from __future__ import annotations

import re

from tests.app.conftest import WindowFactory
from tests.conftest import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "guide.md"


def _section(title: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_every_keyboard_shortcut_is_in_the_guide(make_window: WindowFactory) -> None:
    table = _section("Keyboard shortcuts")
    window = make_window()
    missing = [
        f"{action.text().replace('&', '').strip('▶■ ')} ({key.toString()})"
        for action in window.commands.by_name.values()
        for key in action.shortcuts()
        if key.toString() and key.toString() not in table
    ]
    assert not missing, "add these to the Keyboard shortcuts table of docs/guide.md: " + ", ".join(
        missing
    )


def test_the_guides_links_resolve() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    slugs = {
        re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    }
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("#"):
            assert target[1:] in slugs, target
        elif not target.startswith("http"):
            assert (GUIDE.parent / target.split("#")[0]).is_file(), target
