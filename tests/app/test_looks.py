"""The application icon and the two themes."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtGui import QImage

from app.icons import APP_ICON_SIZES, app_icon, icons_dir
from app.theme import DEFAULT_THEME, ThemeName, stylesheet, theme_name
from resources.icons.render_icons import render
from tests.app.conftest import WindowFactory


def test_the_icon_has_every_size_and_the_window_uses_it(make_window: WindowFactory) -> None:
    icon = app_icon()
    sizes = {size.width() for size in icon.availableSizes()}
    assert sizes == set(APP_ICON_SIZES)
    window = make_window()
    assert {s.width() for s in window.windowIcon().availableSizes()} == sizes


def test_the_committed_pngs_are_renders_of_the_svg(tmp_path: Path) -> None:
    written = render(out_dir=tmp_path, sizes=(16, 64))
    for path in written:
        fresh, committed = QImage(str(path)), QImage(str(icons_dir() / path.name))
        assert fresh.size() == committed.size()
        differing = sum(
            fresh.pixel(x, y) != committed.pixel(x, y)
            for x in range(fresh.width())
            for y in range(fresh.height())
        )
        assert differing <= fresh.width() * fresh.height() // 50, path.name


def test_both_stylesheets_load_and_every_file_they_use_exists() -> None:
    for name in ThemeName:
        sheet = stylesheet(name)
        assert "@ICONS@" not in sheet
        assert "#paletteSearch" in sheet and "#noticeBar" in sheet
        urls = re.findall(r"url\(([^)]+)\)", sheet)
        assert urls, name
        for url in urls:
            assert Path(url).is_file(), url


def test_unknown_theme_names_fall_back_to_dark() -> None:
    assert theme_name("light") == ThemeName.LIGHT
    assert theme_name("sepia") == theme_name(None) == DEFAULT_THEME == ThemeName.DARK
