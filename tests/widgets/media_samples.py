"""Real media for the player and preview tests: an engine run of the local video and audio nodes.

:func:`media_workflow` makes a one-second 320x180 clip from a bundled picture
(``video.ken_burns``), a short spoken line (``audio.speech_offline``: espeak-ng
when installed, else its preview tone) and the clip with the voice on it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from engine.artifacts import ArtifactStore
from engine.catalog import default_catalog
from engine.executor import ExecutionRecord, ExecutionState, Executor
from engine.values import Artifact, decode_value
from engine.workflow import Edge, Node, Position, Workflow
from tests.conftest import EXAMPLES_DIR

PICTURE = EXAMPLES_DIR / "assets" / "dawn.png"
CLIP_SECONDS = 1.0


def _edge(edge_id: str, source: str, out: str, target: str, port: str) -> Edge:
    return Edge(id=edge_id, source=source, sourceHandle=out, target=target, targetHandle=port)


def media_workflow(picture: Path = PICTURE) -> Workflow:
    """picture → 1 s Ken Burns clip; a spoken line; the clip with the line on it."""
    return Workflow(
        name="Media",
        nodes=[
            Node(id="load", type="image.load", data={"path": str(picture)}),
            Node(
                id="clip",
                type="video.ken_burns",
                position=Position(x=300),
                data={"duration": CLIP_SECONDS, "width": 320, "height": 180, "fps": 10},
            ),
            Node(
                id="voice",
                type="audio.speech_offline",
                position=Position(x=300, y=220),
                data={"text": "Hello from Patchbay"},
            ),
            Node(id="mux", type="video.add_audio", position=Position(x=600)),
        ],
        edges=[
            _edge("e1", "load", "image", "clip", "image"),
            _edge("e2", "clip", "video", "mux", "video"),
            _edge("e3", "voice", "audio", "mux", "audio"),
        ],
    )


@dataclass(frozen=True)
class MediaFiles:
    """The outputs of one run of :func:`media_workflow`."""

    record: ExecutionRecord
    artifacts: ArtifactStore
    clip: Artifact
    voice: Artifact

    def path(self, artifact: Artifact) -> Path:
        return self.artifacts.path(artifact)


def make_media(data_dir: Path) -> MediaFiles:
    """Run :func:`media_workflow` on the engine (no Qt event loop needed)."""
    executor = Executor.for_data_dir(default_catalog(), data_dir, base_dir=data_dir)
    record = asyncio.run(executor.run(media_workflow()))
    assert record.status == ExecutionState.COMPLETED, record.error
    clip = decode_value(record.node("clip").outputs or {})["video"]
    voice = decode_value(record.node("voice").outputs or {})["audio"]
    assert isinstance(clip, Artifact) and isinstance(voice, Artifact)
    return MediaFiles(record, executor.artifacts, clip, voice)
