""" "Did you mean …?" suggestions, with a bounded cost.

Similarity matching is the only super-linear work the validator does, so it gets a
budget per document: a hostile document with thousands of misspelt ids gets hints
for the first few hundred and plain messages for the rest.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

_HINT_BUDGET = 300
_MAX_WORD = 200  # difflib is quadratic in the word length
_MAX_LISTED = 8


class Hinter:
    """Closest-match lookups for one validation run."""

    def __init__(self, budget: int = _HINT_BUDGET) -> None:
        self._budget = budget

    def closest(self, word: str, candidates: Iterable[str]) -> str | None:
        """The candidate most like ``word`` (difflib ratio ≥ 0.6), within budget."""
        if self._budget <= 0 or len(word) > _MAX_WORD:
            return None
        self._budget -= 1
        options = [c for c in candidates if len(c) <= _MAX_WORD and c != word]
        matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
        return matches[0] if matches else None

    def spend(self) -> bool:
        """Take one unit of budget for a lookup done elsewhere; ``False`` when spent."""
        if self._budget <= 0:
            return False
        self._budget -= 1
        return True


def code_name(name: Any) -> str:
    """A name as shown in messages: in backticks, cut short when very long."""
    text = str(name)
    if len(text) > 60:
        text = text[:59] + "…"
    return f"`{text}`"


def listing(names: Sequence[str]) -> str:
    """``a, b, c`` (at most a handful, then "…")."""
    shown = ", ".join(code_name(n) for n in names[:_MAX_LISTED])
    return shown + (", …" if len(names) > _MAX_LISTED else "")
