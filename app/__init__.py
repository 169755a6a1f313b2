"""Patchbay Studio, the desktop shell: window, document, settings and runners."""

from __future__ import annotations
