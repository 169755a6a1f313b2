"""``python -m engine.cli``: the same as the ``patchbay`` command."""

from __future__ import annotations

import sys

from engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
