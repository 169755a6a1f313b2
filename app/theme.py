"""Dark and light themes: a ``QPalette`` plus a stylesheet from ``resources/styles``.

The panels take their text colours from the palette (muted text is
``PlaceholderText``, problems are coloured through the palette too), so the
stylesheets only shape things: borders, padding, hover states, dock titles. The
canvas keeps its own dark look in both themes, as in most node editors.

The sheets are read with ``importlib.resources``. They may write ``@ICONS@`` for
the icons folder (``url(@ICONS@/ui/…)``); it is replaced by the real path when the
sheet is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.icons import icons_dir, resource_path


class ThemeName(StrEnum):
    DARK = "dark"
    LIGHT = "light"


DEFAULT_THEME = ThemeName.DARK


@dataclass(frozen=True)
class ThemeColors:
    """The colours of one theme (hex strings)."""

    window: str
    base: str
    alternate: str
    text: str
    bright: str
    muted: str
    button: str
    border: str
    highlight: str
    highlighted_text: str
    link: str
    icon: str
    icon_disabled: str
    disabled_text: str


THEMES: dict[ThemeName, ThemeColors] = {
    ThemeName.DARK: ThemeColors(
        window="#1f2128",
        base="#17191e",
        alternate="#1c1e24",
        text="#d9dce3",
        bright="#f2f4f8",
        muted="#828897",
        button="#2a2d35",
        border="#30343e",
        highlight="#3566b3",
        highlighted_text="#ffffff",
        link="#6cb6ff",
        icon="#c3c8d2",
        icon_disabled="#565c68",
        disabled_text="#5d6370",
    ),
    ThemeName.LIGHT: ThemeColors(
        window="#f2f3f5",
        base="#ffffff",
        alternate="#f6f7f9",
        text="#1f2329",
        bright="#000000",
        muted="#6b7280",
        button="#ffffff",
        border="#d3d7de",
        highlight="#2f6fdf",
        highlighted_text="#ffffff",
        link="#1f6feb",
        icon="#3b414c",
        icon_disabled="#b0b5be",
        disabled_text="#a3a8b1",
    ),
}


def theme_name(value: str | None) -> ThemeName:
    """``value`` as a theme name, the default for anything unknown."""
    try:
        return ThemeName(value) if value else DEFAULT_THEME
    except ValueError:
        return DEFAULT_THEME


def stylesheet(name: ThemeName) -> str:
    """The stylesheet text of a theme, with ``@ICONS@`` resolved."""
    text = resource_path("styles", f"{name.value}.qss").read_text(encoding="utf-8")
    return text.replace("@ICONS@", icons_dir().as_posix())


def build_palette(colors: ThemeColors) -> QPalette:
    """A full palette for Qt's Fusion style."""
    palette = QPalette()
    role = QPalette.ColorRole
    values = {
        role.Window: colors.window,
        role.WindowText: colors.text,
        role.Base: colors.base,
        role.AlternateBase: colors.alternate,
        role.Text: colors.text,
        role.BrightText: colors.bright,
        role.Button: colors.button,
        role.ButtonText: colors.text,
        role.Highlight: colors.highlight,
        role.HighlightedText: colors.highlighted_text,
        role.ToolTipBase: colors.button,
        role.ToolTipText: colors.text,
        role.PlaceholderText: colors.muted,
        role.Link: colors.link,
        role.Light: colors.border,
        role.Midlight: colors.border,
        role.Mid: colors.border,
        role.Dark: colors.base,
        role.Shadow: "#000000",
    }
    for color_role, value in values.items():
        palette.setColor(color_role, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for color_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, color_role, QColor(colors.disabled_text))
    palette.setColor(disabled, role.Highlight, QColor(colors.border))
    return palette


def apply_theme(app: QApplication, name: ThemeName) -> ThemeColors:
    """Make ``name`` the look of every window of ``app``; returns its colours."""
    colors = THEMES[name]
    app.setStyle("Fusion")
    app.setPalette(build_palette(colors))
    app.setStyleSheet(stylesheet(name))
    return colors
