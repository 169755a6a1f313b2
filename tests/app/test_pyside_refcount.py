"""Guard against the PySide6 6.12 / Python < 3.12 ``None`` refcount leak (DESIGN §7).

Each Qt call that returns nothing decremented ``None``'s refcount; a long session
then died with ``Fatal Python error: none_dealloc``. Short tests never notice, so
this one makes the calls on purpose and watches the count.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

CALLS = 30_000


def test_qt_calls_returning_nothing_keep_none_alive(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for index in range(CALLS):
        label.setText("a" if index % 2 else "b")  # returns None
    after = sys.getrefcount(None)
    assert after >= before - 100, f"None lost {before - after} references over {CALLS} calls"
