"""Entry script of the frozen ``patchbay-studio`` executable (see patchbay.spec)."""

from __future__ import annotations

from app.main import main

if __name__ == "__main__":
    raise SystemExit(main())
