"""Provider adapters: hosted model nodes calling fal, Replicate, OpenAI-compatible
servers, ComfyUI, ElevenLabs and Google over their documented HTTP protocols.

- :mod:`engine.providers.base` — :class:`Provider`, :class:`ProviderCall`;
- :mod:`engine.providers.registry` — provider name → adapter class;
- :mod:`engine.providers.hosted` — :func:`make_hosted_node`, the implementation
  of every hosted node type (preview mode, key lookup, adapter run);
- :mod:`engine.providers.http`, :mod:`~engine.providers.mapping`,
  :mod:`~engine.providers.media` — shared HTTP, request/response mapping and media
  helpers.
"""

from __future__ import annotations

from engine.providers.base import Progress, Provider, ProviderCall
from engine.providers.hosted import make_hosted_node
from engine.providers.http import FAST_POLL, PollPolicy
from engine.providers.registry import (
    PROVIDER_NAMES,
    UnknownProviderError,
    get_provider_class,
    register_provider,
)

__all__ = [
    "FAST_POLL",
    "PROVIDER_NAMES",
    "PollPolicy",
    "Progress",
    "Provider",
    "ProviderCall",
    "UnknownProviderError",
    "get_provider_class",
    "make_hosted_node",
    "register_provider",
]
