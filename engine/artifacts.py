"""Content-addressed storage of media outputs.

Every image, clip or sound a node produces is stored once under the SHA-256 of
its bytes (``<root>/ab/abcdef...``) with a JSON sidecar describing it; outputs and
records reference the id only.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from engine.catalog.spec import PortType
from engine.errors import ArtifactNotFoundError
from engine.values import Artifact


def atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` via a temporary file, so readers never see half of it."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ArtifactStore:
    """A directory of artifacts keyed by content hash. Safe for concurrent writers."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _blob(self, artifact_id: str) -> Path:
        return self.root / artifact_id[:2] / artifact_id

    def put_bytes(
        self,
        data: bytes,
        *,
        kind: PortType,
        media_type: str,
        filename: str | None = None,
        metadata: dict[str, Any] | None = None,
        preview: bool = False,
    ) -> Artifact:
        """Store ``data`` (once) and return its reference."""
        artifact_id = hashlib.sha256(data).hexdigest()
        blob = self._blob(artifact_id)
        if not blob.exists():
            blob.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(blob, data)
        artifact = Artifact(
            id=artifact_id,
            kind=kind,
            media_type=media_type,
            size=len(data),
            filename=filename,
            metadata=dict(metadata or {}),
            preview=preview,
        )
        sidecar = blob.with_suffix(".json")
        if not sidecar.exists():
            atomic_write(sidecar, artifact.model_dump_json(by_alias=True).encode())
        return artifact

    def put_file(self, path: str | Path, **kwargs: Any) -> Artifact:
        """Store a copy of the file at ``path``."""
        return self.put_bytes(Path(path).read_bytes(), **kwargs)

    def path(self, artifact: Artifact | str) -> Path:
        """The file holding an artifact's bytes."""
        artifact_id = artifact if isinstance(artifact, str) else artifact.id
        blob = self._blob(artifact_id)
        if len(artifact_id) != 64 or not blob.is_file():
            raise ArtifactNotFoundError(f"no artifact {artifact_id[:12]}… in {self.root}")
        return blob

    def read_bytes(self, artifact: Artifact | str) -> bytes:
        """An artifact's content."""
        return self.path(artifact).read_bytes()

    def describe(self, artifact_id: str) -> Artifact:
        """The stored description of an artifact id."""
        sidecar = self.path(artifact_id).with_suffix(".json")
        return Artifact.model_validate(json.loads(sidecar.read_text(encoding="utf-8")))

    def exists(self, artifact: Artifact | str) -> bool:
        """Whether the artifact's bytes are in the store."""
        artifact_id = artifact if isinstance(artifact, str) else artifact.id
        return self._blob(artifact_id).is_file()
