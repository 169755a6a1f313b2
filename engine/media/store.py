"""Media artifacts: finding an input's file, storing a clip or a sound with its metadata.

Video artifacts are MP4 (``video/mp4``) with metadata ``width``, ``height``,
``duration_s``, ``fps`` and ``has_audio``; audio artifacts are 16-bit PCM WAV
(``audio/wav``) with ``duration_s``, ``sample_rate`` and ``channels``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.artifacts import ArtifactStore
from engine.catalog.spec import PortType
from engine.errors import ArtifactNotFoundError, PermanentNodeError
from engine.media.audio import AudioClip, encode_wav, load_audio
from engine.media.probe import MediaInfo, probe
from engine.nodes.base import NodeContext
from engine.nodes.support import type_name
from engine.values import Artifact

VIDEO_MEDIA_TYPE = "video/mp4"
AUDIO_MEDIA_TYPE = "audio/wav"


def media_path(ctx: NodeContext, value: Any, *, kind: PortType, what: str) -> Path:
    """The file behind a media input: an artifact, or a path typed into the node's data."""
    if isinstance(value, str) and value:
        try:
            return ctx.existing_file(value)
        except PermanentNodeError as exc:
            raise PermanentNodeError(f"{what}: {exc.message}") from exc
    if not isinstance(value, Artifact):
        raise PermanentNodeError(f"{what}: expected {kind.value}, got {type_name(value)}")
    if value.kind != kind and not (value.kind == PortType.VIDEO and kind == PortType.AUDIO):
        found = value.kind.value
        article = "an" if found[0] in "aeiou" else "a"
        raise PermanentNodeError(f"{what}: expected {kind.value}, got {article} {found} file")
    try:
        return ctx.artifacts.path(value)
    except ArtifactNotFoundError as exc:
        raise PermanentNodeError(f"{what}: {exc}") from exc


def probe_video(path: Path, *, what: str) -> MediaInfo:
    """Probe a file that must hold a video stream with a known duration."""
    info = probe(path)
    if not info.has_video:
        raise PermanentNodeError(f"{what} has no video stream")
    if not info.duration_s:
        raise PermanentNodeError(f"{what}: ffmpeg cannot tell how long it is")
    return info


def video_metadata(info: MediaInfo) -> dict[str, Any]:
    """The artifact metadata of a probed video."""
    stream = info.video[0]
    return {
        "width": stream.width,
        "height": stream.height,
        "duration_s": round(info.duration_s or 0.0, 3),
        "fps": stream.fps,
        "has_audio": info.has_audio,
    }


def store_video(
    store: ArtifactStore,
    path: Path,
    *,
    filename: str | None = None,
    preview: bool = False,
) -> Artifact:
    """Store the MP4 at ``path``, probing it for its metadata."""
    info = probe_video(path, what=filename or "the video")
    return store.put_bytes(
        path.read_bytes(),
        kind=PortType.VIDEO,
        media_type=VIDEO_MEDIA_TYPE,
        filename=filename,
        metadata=video_metadata(info),
        preview=preview,
    )


def store_audio(
    store: ArtifactStore,
    clip: AudioClip,
    *,
    filename: str | None = None,
    preview: bool = False,
    metadata: dict[str, Any] | None = None,
) -> Artifact:
    """Store ``clip`` as a 16-bit WAV artifact."""
    return store.put_bytes(
        encode_wav(clip),
        kind=PortType.AUDIO,
        media_type=AUDIO_MEDIA_TYPE,
        filename=filename,
        metadata={
            "duration_s": round(clip.duration_s, 3),
            "sample_rate": clip.sample_rate,
            "channels": clip.channels,
            **(metadata or {}),
        },
        preview=preview,
    )


def open_audio(ctx: NodeContext, value: Any, *, what: str = "audio") -> AudioClip:
    """An audio input (WAV, MP3, the sound of a video …) decoded to samples."""
    path = media_path(ctx, value, kind=PortType.AUDIO, what=what)
    name = value.filename if isinstance(value, Artifact) and value.filename else what
    return load_audio(path, name=name)


def stem(value: Any, suffix: str) -> str | None:
    """The input artifact's file name with a new extension, if it has one."""
    if isinstance(value, Artifact) and value.filename:
        return f"{Path(value.filename).stem}{suffix}"
    return None
