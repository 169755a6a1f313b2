"""Crash recovery at start-up: offer the autosaves that crashed sessions left behind."""

from __future__ import annotations

from app.autosave import AutosaveInfo, find_orphans, load_orphan
from app.prompts import RecoveryChoice
from app.window import MainWindow


def offer_recovery(
    window: MainWindow, orphans: list[AutosaveInfo] | None = None
) -> list[MainWindow]:
    """Ask about each orphaned autosave (newest first); returns the windows restored into.

    The first restored document goes into ``window`` when it holds nothing yet,
    later ones into new windows. A restored document opens at its original path
    (or untitled) with unsaved changes; its new session autosaves it at once and
    the orphan is removed. "Not Now" keeps the orphan for the next start.
    """
    if orphans is None:
        orphans = find_orphans(window.autosaver.directory)
    restored: list[MainWindow] = []
    for info in orphans:
        choice = window.prompts.restore_autosave(window, info)
        if choice == RecoveryChoice.LATER:
            continue
        if choice == RecoveryChoice.DISCARD:
            info.remove()
            continue
        workflow = load_orphan(info)
        if workflow is None:
            window.show_notice(
                "warning", f"The autosave of {info.display_name} could not be read; removed it."
            )
            continue
        pristine = window.controller.is_pristine() and window not in restored
        target = window if pristine else window.new_window()
        target.controller.restore(workflow, info.original_path, info.saved_at_text())
        target.autosaver.save_now()
        info.remove()
        restored.append(target)
    return restored
