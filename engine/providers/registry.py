"""Which adapter class serves each ``NodeSpec.provider`` name.

Adapters are imported lazily, so an adapter module that is missing or broken
only affects the nodes of that provider (they fail with a clear message), and
importing the catalog never pulls in every adapter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.providers.base import Provider

__all__ = ["PROVIDER_NAMES", "UnknownProviderError", "get_provider_class", "register_provider"]

#: ``provider name -> "module:ClassName"`` of the shipped adapters.
_ADAPTERS: dict[str, str] = {
    "fal": "engine.providers.fal:FalProvider",
    "replicate": "engine.providers.replicate:ReplicateProvider",
    "openai": "engine.providers.openai:OpenAIProvider",
    "comfyui": "engine.providers.comfyui:ComfyUIProvider",
    "elevenlabs": "engine.providers.elevenlabs:ElevenLabsProvider",
    "google": "engine.providers.google:GoogleProvider",
}

#: Every provider name a hosted node may use (``NodeSpec.provider``).
PROVIDER_NAMES: tuple[str, ...] = tuple(_ADAPTERS)

_registered: dict[str, type[Provider]] = {}


class UnknownProviderError(LookupError):
    """No adapter is available for a provider name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown provider"


def register_provider(cls: type[Provider]) -> type[Provider]:
    """Register (or replace) the adapter for ``cls.name``; usable as a class decorator."""
    _registered[cls.name] = cls
    return cls


def get_provider_class(name: str) -> type[Provider]:
    """The adapter class for provider ``name``; raises :class:`UnknownProviderError`."""
    if name in _registered:
        return _registered[name]
    target = _ADAPTERS.get(name)
    if target is None:
        known = ", ".join(PROVIDER_NAMES)
        raise UnknownProviderError(f"unknown provider {name!r} (known: {known})")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        cls: type[Provider] = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise UnknownProviderError(
            f"the {name} adapter is not available in this installation ({exc})"
        ) from None
    _registered[name] = cls
    return cls
