"""What the studio remembers between sessions, kept in ``QSettings``.

Window geometry and dock layout, the last directory of a file dialog, recent
files, the theme and the canvas overlays. Tests pass their own ``QSettings`` (an
ini file in a temporary directory) so they never touch the user's configuration.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10

_GEOMETRY = "window/geometry"
_STATE = "window/state"
_LAST_DIR = "files/lastDirectory"
_RECENT = "files/recent"
_THEME = "view/theme"
_MINIMAP = "view/minimap"
_LEGEND = "view/legend"
_GETTING_STARTED_OFF = "help/gettingStartedDontShow"
_SERVERS = "servers/profiles"


class StudioSettings:
    """Typed access to the studio's ``QSettings``.

    ``QSettings`` hands back strings for everything stored in an ini file, so each
    getter converts and falls back to a default on anything unexpected.
    """

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()

    # -- window ------------------------------------------------------------------

    def geometry(self) -> QByteArray | None:
        return self._bytes(_GEOMETRY)

    def window_state(self) -> QByteArray | None:
        return self._bytes(_STATE)

    def set_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue(_GEOMETRY, geometry)
        self.store.setValue(_STATE, state)

    # -- files -------------------------------------------------------------------

    def last_directory(self) -> Path | None:
        value = self.store.value(_LAST_DIR)
        if isinstance(value, str) and value and Path(value).is_dir():
            return Path(value)
        return None

    def set_last_directory(self, directory: Path) -> None:
        self.store.setValue(_LAST_DIR, str(directory))

    def recent_files(self) -> list[Path]:
        """Recently opened or saved files, newest first; files gone from disk are dropped."""
        stored = self._strings(_RECENT)
        present = [Path(p) for p in stored if Path(p).is_file()][:MAX_RECENT]
        if len(present) != len(stored):
            self._set_recent(present)
        return present

    def add_recent_file(self, path: Path) -> None:
        path = path.resolve()
        others = [p for p in self._strings(_RECENT) if Path(p) != path]
        self._set_recent([path, *(Path(p) for p in others)][:MAX_RECENT])

    def clear_recent_files(self) -> None:
        self._set_recent([])

    # -- view --------------------------------------------------------------------

    def theme(self) -> str | None:
        value = self.store.value(_THEME)
        return value if isinstance(value, str) else None

    def set_theme(self, name: str) -> None:
        self.store.setValue(_THEME, name)

    def minimap_visible(self) -> bool:
        return self._bool(_MINIMAP, True)

    def legend_visible(self) -> bool:
        return self._bool(_LEGEND, False)

    def set_overlays(self, *, minimap: bool, legend: bool) -> None:
        self.store.setValue(_MINIMAP, minimap)
        self.store.setValue(_LEGEND, legend)

    # -- help --------------------------------------------------------------------

    def getting_started_dismissed(self) -> bool:
        """Whether the user ticked "Don't show again" on the Getting Started page."""
        return self._bool(_GETTING_STARTED_OFF, False)

    def set_getting_started_dismissed(self, dismissed: bool) -> None:
        self.store.setValue(_GETTING_STARTED_OFF, dismissed)

    # -- servers (names and URLs only: API keys live in the keyring) --------------

    def server_profiles(self) -> list[tuple[str, str]]:
        """The servers the user added, as ``(name, url)`` pairs in the order added."""
        value = self.store.value(_SERVERS)
        try:
            rows = json.loads(value) if isinstance(value, str) and value else []
        except ValueError:
            return []
        if not isinstance(rows, list):
            return []
        return [
            (str(r["name"]), str(r["url"]))
            for r in rows
            if isinstance(r, dict) and r.get("url") and isinstance(r.get("name"), str)
        ]

    def set_server_profiles(self, profiles: list[tuple[str, str]]) -> None:
        rows = [{"name": name, "url": url} for name, url in profiles]
        self.store.setValue(_SERVERS, json.dumps(rows))

    def sync(self) -> None:
        self.store.sync()

    # -- conversions -------------------------------------------------------------

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def _bool(self, key: str, default: bool) -> bool:
        value = self.store.value(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value.lower() in ("true", "1", "yes")
        return default

    def _strings(self, key: str) -> list[str]:
        value = self.store.value(key)
        if isinstance(value, str):  # one entry comes back as a bare string
            return [value] if value else []
        if isinstance(value, list):
            return [str(v) for v in value if v]
        return []

    def _set_recent(self, paths: list[Path]) -> None:
        self.store.setValue(_RECENT, [str(p) for p in paths])
