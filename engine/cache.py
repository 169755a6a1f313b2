"""The node-output cache: reuse a node's outputs when nothing it depends on changed.

A node run is keyed by a *fingerprint*: the SHA-256 of its type, its resolved
parameters, the fingerprints of its input values (artifacts hash by content id),
and extras the executor adds (the run input an ``input.*`` node reads, the size and
modification time of files named by ``file`` parameters, the preview flag of
hosted nodes). Entries are JSON files of encoded outputs under one directory
(``<data_dir>/cache``) with an in-memory LRU layer in front. An entry whose
artifacts have been deleted from the store counts as a miss.

Every node type is cacheable, including ones with side effects such as
``image.save``: a cached ``image.save`` does not write its file again. Force a
re-run (``RunOptions(use_cache=False)``, ``patchbay run --no-cache``) to redo them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.artifacts import ArtifactStore, atomic_write
from engine.values import Artifact, Batch, decode_value, encode_value, fingerprint_value

log = logging.getLogger(__name__)

#: Bump to invalidate every entry when node semantics change incompatibly.
CACHE_FORMAT = 1


def node_fingerprint(
    node_type: str,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The cache key of running ``node_type`` with these parameters and inputs."""
    document = {
        "format": CACHE_FORMAT,
        "type": node_type,
        "params": encode_value(dict(params)),
        "inputs": {name: fingerprint_value(value) for name, value in inputs.items()},
        "extra": encode_value(dict(extra or {})),
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class NodeCache:
    """Cached node outputs, on disk under ``directory`` (or memory only when ``None``).

    Safe to share between runs in one process and between processes using the
    same directory (entries are written atomically). Disk errors never fail a run:
    a write that fails is logged and skipped, an unreadable entry is a miss.
    """

    def __init__(self, directory: str | Path | None = None, *, memory_entries: int = 2048) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._memory: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._memory_entries = memory_entries
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> NodeCache:
        """The cache of a Patchbay data directory (``<data_dir>/cache``)."""
        return cls(Path(data_dir) / "cache")

    def _file(self, fingerprint: str) -> Path:
        assert self.directory is not None
        return self.directory / fingerprint[:2] / f"{fingerprint}.json"

    def get(
        self, fingerprint: str, artifacts: ArtifactStore | None = None
    ) -> dict[str, Any] | None:
        """The outputs stored under ``fingerprint``, decoded; ``None`` on a miss.

        With ``artifacts``, an entry referencing an artifact missing from that
        store is a miss (and is forgotten).
        """
        encoded = self._memory.get(fingerprint)
        if encoded is not None:
            self._memory.move_to_end(fingerprint)
        else:
            encoded = self._read(fingerprint)
            if encoded is None:
                return None
            self._remember(fingerprint, encoded)
        outputs: dict[str, Any] = decode_value(encoded)
        if artifacts is not None and not all(
            artifacts.exists(a) for a in _artifacts_in(outputs.values())
        ):
            self.discard(fingerprint)
            return None
        return outputs

    def put(self, fingerprint: str, outputs: Mapping[str, Any], *, node_type: str = "") -> None:
        """Store a node's outputs (plain values, artifacts and batches) under ``fingerprint``."""
        encoded: dict[str, Any] = encode_value(dict(outputs))
        self._remember(fingerprint, encoded)
        if self.directory is None:
            return
        entry = {
            "format": CACHE_FORMAT,
            "type": node_type,
            "createdAt": time.time(),
            "outputs": encoded,
        }
        target = self._file(fingerprint)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            data = json.dumps(entry, separators=(",", ":"), default=repr).encode("utf-8")
            atomic_write(target, data)
        except (OSError, TypeError, ValueError) as exc:
            log.warning("could not write cache entry %s: %s", fingerprint[:12], exc)

    def discard(self, fingerprint: str) -> None:
        """Forget one entry."""
        self._memory.pop(fingerprint, None)
        if self.directory is not None:
            self._file(fingerprint).unlink(missing_ok=True)

    def clear(self) -> None:
        """Forget every entry."""
        self._memory.clear()
        if self.directory is not None:
            for path in self.directory.glob("*/*.json"):
                path.unlink(missing_ok=True)

    def _remember(self, fingerprint: str, encoded: dict[str, Any]) -> None:
        self._memory[fingerprint] = encoded
        self._memory.move_to_end(fingerprint)
        while len(self._memory) > self._memory_entries:
            self._memory.popitem(last=False)

    def _read(self, fingerprint: str) -> dict[str, Any] | None:
        if self.directory is None:
            return None
        try:
            entry = json.loads(self._file(fingerprint).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable cache entry %s: %s", fingerprint[:12], exc)
            return None
        if (
            not isinstance(entry, dict)
            or entry.get("format") != CACHE_FORMAT
            or not isinstance(entry.get("outputs"), dict)
        ):
            return None
        outputs: dict[str, Any] = entry["outputs"]
        return outputs


def _artifacts_in(values: Any) -> list[Artifact]:
    found: list[Artifact] = []
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, Artifact):
            found.append(value)
        elif isinstance(value, Batch):
            stack.extend(value.items)
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return found
