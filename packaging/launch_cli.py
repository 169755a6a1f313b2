"""Entry script of the frozen ``patchbay`` executable (see patchbay.spec)."""

from __future__ import annotations

from engine.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
