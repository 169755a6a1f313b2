"""Values that travel along wires.

Scalars (text, number, boolean, json) travel as plain Python values. Media (image,
video, audio, mask, mesh) travel as :class:`Artifact` references to files stored
once by content hash. A :class:`Batch` is a list of values on one port: a node fed
a batch on an input that takes one item runs once per item.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.catalog.spec import PortType


class Artifact(BaseModel):
    """A stored media file, referenced by the SHA-256 of its content."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str = Field(pattern=r"^[0-9a-f]{64}$")
    kind: PortType
    media_type: str = Field(alias="mediaType")
    size: int = Field(ge=0)
    filename: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    preview: bool = False

    def to_json(self) -> dict[str, Any]:
        """The reference as JSON, tagged so it can be told from plain json values."""
        return {"$artifact": self.model_dump(mode="json", by_alias=True, exclude_none=True)}


@dataclass(frozen=True, slots=True)
class Batch:
    """Several values on one port, one per item of a fanned-out run."""

    items: tuple[Any, ...]

    def __len__(self) -> int:
        return len(self.items)


def encode_value(value: Any) -> Any:
    """Turn a port value into JSON data (artifacts and batches tagged)."""
    if isinstance(value, Artifact):
        return value.to_json()
    if isinstance(value, Batch):
        return {"$batch": [encode_value(v) for v in value.items]}
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_value(v) for k, v in value.items()}
    return value


def decode_value(data: Any) -> Any:
    """Inverse of :func:`encode_value`."""
    if isinstance(data, dict):
        if set(data) == {"$artifact"}:
            return Artifact.model_validate(data["$artifact"])
        if set(data) == {"$batch"}:
            return Batch(tuple(decode_value(v) for v in data["$batch"]))
        return {k: decode_value(v) for k, v in data.items()}
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    return data


def fingerprint_value(value: Any) -> str:
    """A stable hash of a value; artifacts hash by content id, not by path."""
    canonical = json.dumps(encode_value(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
