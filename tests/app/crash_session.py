"""A studio session that gets killed: run by ``test_autosave`` in a subprocess.

    python tests/app/crash_session.py FILE

Opens FILE, adds a node, lets the autosave happen, prints the document and the
autosave's path as one JSON line, then waits in the event loop to be killed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from app.window import MainWindow

    window = MainWindow(autosave_debounce_ms=10)
    window.show()
    window.controller.open_path(Path(sys.argv[1]))
    window.editing.add_node_at_centre("image.resize")
    window.autosaver.save_now()
    report = {
        "document": window.document.workflow().to_json(),
        "autosave": str(window.autosaver.document_path),
    }
    print(json.dumps(report), flush=True)
    app.exec()


if __name__ == "__main__":
    main()
