"""Preview mode (DESIGN §3): offline stand-in outputs for hosted nodes.

:func:`preview_outputs` gives every output port of a hosted node a value of the
right type and shape without a network or a key, so a pipeline's shape can be
tried for free:

- image: a card of the requested size (``width``/``height``, ``image_size``,
  ``size``, ``aspect_ratio`` with ``resolution``; else the input image scaled by
  ``scale``/``upscale_factor``; else 1024x1024) showing the model, the prompt and a
  big "PREVIEW" label; an input image, when the node has one, is used as the picture;
- video: an H.264 MP4 of the requested duration (``duration``, ``duration_s``,
  ``seconds`` …; default 5 s) and size at :data:`PREVIEW_FPS`, made from the input
  image for image-to-video nodes, with a silent sound track when the node would
  generate audio;
- audio: a gentle WAV tone, as long as the speech would be for text-to-speech (about
  15 characters a second) or the ``duration`` param for music and sound effects;
- text ``"[preview] <model> would answer: <prompt>"``, json ``{"preview": true, …}``,
  mask (an ellipse), mesh (a small OBJ cube).

Every artifact is stored with ``preview=True``. Outputs depend only on the spec,
the params and the inputs, so the same node gives the same bytes and caching works.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from engine.catalog.spec import NodeSpec, ParamKind, PortSpec, PortType
from engine.errors import ArtifactNotFoundError
from engine.media import audio as pcm
from engine.media.cards import badge, preview_card, subject_mask
from engine.media.store import store_audio, store_video
from engine.media.video import Frame, encode_frames, even, frame_count
from engine.nodes.base import NodeContext
from engine.nodes.support import to_text
from engine.providers.http import excerpt
from engine.values import Artifact, Batch

PREVIEW_FPS = 8
PREVIEW_RATE = 24000
CHARS_PER_SECOND = 15.0
DEFAULT_IMAGE_SIZE = (1024, 1024)
DEFAULT_VIDEO_SIZE = (1280, 720)
DEFAULT_VIDEO_S = 5.0
DEFAULT_AUDIO_S = 10.0
MAX_IMAGE_SIDE = 4096
MAX_VIDEO_SIDE = 1920
MAX_PREVIEW_S = 120.0
MAX_ITEMS = 4
#: Characters of the prompt quoted in a preview text or JSON answer.
PROMPT_EXCERPT = 160

_FAL_SIZES = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
_SIZE_PARAMS = ("image_size", "size", "dimensions")
_ASPECT_PARAMS = ("aspect_ratio", "aspect", "ratio")
_SCALE_PARAMS = ("scale", "upscale_factor", "upscaling_factor", "scale_factor", "factor")
_DURATION_PARAMS = (
    "duration",
    "duration_s",
    "duration_seconds",
    "seconds",
    "seconds_total",
    "length",
    "video_length",
    "audio_length",
)
_COUNT_PARAMS = ("num_images", "num_outputs", "number_of_images", "n", "batch_size")
_AUDIO_FLAGS = ("generate_audio", "with_audio", "enable_audio", "audio")
_SPEECH_PORTS = ("text", "input", "script", "transcript")


async def preview_outputs(
    spec: NodeSpec, params: Mapping[str, Any], inputs: Mapping[str, Any], ctx: NodeContext
) -> dict[str, Any]:
    """Offline outputs of the right type and shape for every output port of ``spec``."""
    return await asyncio.to_thread(render_preview, spec, params, inputs, ctx)


def render_preview(
    spec: NodeSpec, params: Mapping[str, Any], inputs: Mapping[str, Any], ctx: NodeContext
) -> dict[str, Any]:
    """The synchronous work of :func:`preview_outputs` (CPU-bound: run it in a thread)."""
    request = _Request(spec, params, inputs, ctx)
    outputs: dict[str, Any] = {}
    for port in spec.outputs:
        if port.is_list:
            count = request.count()
            outputs[port.name] = [request.render(port, index) for index in range(count)]
        else:
            outputs[port.name] = request.render(port, None)
    return outputs


class _Request:
    """One preview: the node, its values and what they say about the output's shape."""

    def __init__(
        self,
        spec: NodeSpec,
        params: Mapping[str, Any],
        inputs: Mapping[str, Any],
        ctx: NodeContext,
    ) -> None:
        self.spec, self.params, self.inputs, self.ctx = spec, params, inputs, ctx
        self.prompt = prompt_of(spec, params, inputs)
        self.title = spec.display_name + (f" ({spec.model_id})" if spec.model_id else "")
        self.seed = f"{spec.type}\n{self.prompt}"
        self.source = self._source_image()
        self.media = self._source_media()

    # ------------------------------------------------------------ dispatch

    def render(self, port: PortSpec, index: int | None) -> Any:
        seed = self.seed if index is None else f"{self.seed}\n{index}"
        kind = port.type
        if kind == PortType.IMAGE:
            return self.image(seed)
        if kind == PortType.MASK:
            return self.mask()
        if kind == PortType.VIDEO:
            return self.video(seed)
        if kind == PortType.AUDIO:
            return self.audio(seed)
        if kind == PortType.MESH:
            return self.mesh()
        if kind == PortType.TEXT:
            said = excerpt(self.prompt, PROMPT_EXCERPT)
            return f"[preview] {self.spec.display_name} would answer: {said}"
        if kind == PortType.JSON:
            return {
                "preview": True,
                "type": self.spec.type,
                "model": self.spec.display_name,
                "provider": self.spec.provider,
                "model_id": self.spec.model_id,
                "prompt": excerpt(self.prompt, PROMPT_EXCERPT),
            }
        if kind == PortType.NUMBER:
            return 0
        return False

    def count(self) -> int:
        for name in _COUNT_PARAMS:
            value = _number(self.params.get(name))
            if value is not None:
                return max(1, min(MAX_ITEMS, int(value)))
        return 1

    # ------------------------------------------------------------ media

    def image(self, seed: str) -> Artifact:
        size = self.size(video=False)
        if self.source is not None:
            picture = ImageOps.fit(self.source, size, Image.Resampling.BILINEAR)
            badge(picture, title=self.title)
        else:
            picture = preview_card(*size, title=self.title, text=self.prompt, seed=seed)
        return self._put_png(picture, PortType.IMAGE)

    def mask(self) -> Artifact:
        return self._put_png(subject_mask(*self.size(video=False)), PortType.MASK)

    def video(self, seed: str) -> Artifact:
        width, height = self.size(video=True)
        duration = self.duration(DEFAULT_VIDEO_S)
        if self.source is not None:
            picture = ImageOps.fit(self.source, (width, height), Image.Resampling.BILINEAR)
            badge(picture, title=self.title)
        else:
            picture = preview_card(width, height, title=self.title, text=self.prompt, seed=seed)
        still = np.asarray(picture.convert("RGB"), dtype=np.uint8)
        total = frame_count(duration, PREVIEW_FPS)
        bar_h = max(2, height // 60)

        def frames() -> Any:
            for index in range(total):
                frame: Frame = still.copy()
                frame[height - bar_h :, : round(width * (index + 1) / total)] = 255
                yield frame

        with tempfile.TemporaryDirectory(prefix="patchbay-preview-") as tmp:
            target = Path(tmp) / "preview.mp4"
            sound = None
            if any(self.params.get(flag) is True for flag in _AUDIO_FLAGS):
                sound = Path(tmp) / "silence.wav"
                sound.write_bytes(pcm.encode_wav(pcm.silence(duration, PREVIEW_RATE)))
            encode_frames(
                frames(),
                width=width,
                height=height,
                fps=PREVIEW_FPS,
                target=target,
                audio=sound,
                timeout_s=60 + 2 * duration,
            )
            return store_video(self.ctx.artifacts, target, filename="preview.mp4", preview=True)

    def audio(self, seed: str) -> Artifact:
        digest = hashlib.sha256(seed.encode("utf-8")).digest()
        explicit = self._duration_param()
        if explicit is None and self.media is not None:
            explicit = _number(self.media.metadata.get("duration_s"))
        if explicit is None and self._is_speech():
            clip = speech_tone(self.prompt, pitch=160 + digest[0] % 80)
        else:
            length = explicit if explicit is not None else DEFAULT_AUDIO_S
            clip = music_tone(min(length, MAX_PREVIEW_S), root=196 + digest[0] % 100)
        return store_audio(self.ctx.artifacts, clip, filename="preview.wav", preview=True)

    def mesh(self) -> Artifact:
        return self.ctx.artifacts.put_bytes(
            CUBE_OBJ.encode("ascii"),
            kind=PortType.MESH,
            media_type="model/obj",
            filename="preview.obj",
            metadata={"format": "obj", "vertices": 8, "faces": 6},
            preview=True,
        )

    def _put_png(self, picture: Image.Image, kind: PortType) -> Artifact:
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG", compress_level=1)
        return self.ctx.artifacts.put_bytes(
            buffer.getvalue(),
            kind=kind,
            media_type="image/png",
            filename="preview.png",
            metadata={"width": picture.width, "height": picture.height},
            preview=True,
        )

    # ------------------------------------------------------------ shape from params

    def size(self, *, video: bool) -> tuple[int, int]:
        """The output size the params ask for, bounded; even for video.

        Without size params an input sets the shape: a picture becomes a 720-line
        clip (image-to-video); otherwise the input's size times the node's scale
        factor (upscalers), else 1.
        """
        source = self.source.size if self.source is not None else None
        if source is None and self.media is not None and self.media.kind == PortType.VIDEO:
            width, height = (_number(self.media.metadata.get(k)) for k in ("width", "height"))
            source = (round(width), round(height)) if width and height else None
        size = requested_size(self.params, source_aspect=source[0] / source[1] if source else None)
        if size is None and source is not None:
            if video and self.source is not None:
                factor = 720 / min(source)
            else:
                scales = (_number(self.params.get(n)) for n in _SCALE_PARAMS)
                factor = next((v for v in scales if v is not None and v > 0), 1.0)
            size = (round(source[0] * factor), round(source[1] * factor))
        if size is None:
            size = DEFAULT_VIDEO_SIZE if video else DEFAULT_IMAGE_SIZE
        limit = MAX_VIDEO_SIDE if video else MAX_IMAGE_SIDE
        scale = min(1.0, limit / max(size))
        width, height = max(1, round(size[0] * scale)), max(1, round(size[1] * scale))
        return (even(width), even(height)) if video else (width, height)

    def duration(self, default: float) -> float:
        """The params' duration, else the input clip's or sound's, else ``default``."""
        value = self._duration_param()
        if value is None and self.media is not None:
            value = _number(self.media.metadata.get("duration_s"))
        return min(MAX_PREVIEW_S, value if value is not None else default)

    def _duration_param(self) -> float | None:
        for name in _DURATION_PARAMS:
            value = _number(self.params.get(name))
            if value is not None and value > 0:
                return value
        frames = _number(self.params.get("num_frames"))
        fps = _number(self.params.get("fps")) or _number(self.params.get("frames_per_second"))
        if frames and fps:
            return frames / fps
        millis = _number(self.params.get("music_length_ms"))
        return millis / 1000 if millis else None

    def _is_speech(self) -> bool:
        names = {p.name for p in self.spec.inputs} | {p.name for p in self.spec.params}
        hint = f"{self.spec.type} {' '.join(self.spec.aliases)}".lower()
        return bool(names & set(_SPEECH_PORTS)) or any(
            word in hint for word in ("speech", "tts", "voice")
        )

    def _source_media(self) -> Artifact | None:
        """The first video or audio input: its length (and size) shape the output."""
        for port in self.spec.inputs:
            value = self.inputs.get(port.name)
            if isinstance(value, Artifact) and value.kind in (PortType.VIDEO, PortType.AUDIO):
                return value
        return None

    def _source_image(self) -> Image.Image | None:
        for port in self.spec.inputs:
            if port.type != PortType.IMAGE:
                continue
            value = self.inputs.get(port.name)
            if isinstance(value, Batch | list | tuple):
                value = next(iter(value.items if isinstance(value, Batch) else value), None)
            if isinstance(value, Artifact) and value.kind == PortType.IMAGE:
                try:
                    with Image.open(self.ctx.artifacts.path(value)) as opened:
                        return opened.convert("RGB")
                except (OSError, ArtifactNotFoundError):
                    return None
        return None


# ---------------------------------------------------------------- params → shape


def prompt_of(spec: NodeSpec, params: Mapping[str, Any], inputs: Mapping[str, Any]) -> str:
    """The node's prompt: the first non-empty text input (wired or typed), else a text param."""
    names = [p.name for p in spec.inputs if p.type == PortType.TEXT]
    names += [p.name for p in spec.params if p.kind == ParamKind.TEXT and p.name not in names]
    for name in names:
        value = inputs.get(name)
        if value is None or value == "":
            value = params.get(name)
        if isinstance(value, Batch):
            value = value.items[0] if value.items else None
        text = to_text(value).strip() if not isinstance(value, Artifact) else ""
        if text:
            return text
    return ""


def requested_size(
    params: Mapping[str, Any], *, source_aspect: float | None = None
) -> tuple[int, int] | None:
    """The output size a node's params ask for, or ``None`` when they do not say.

    ``width``/``height``; fal's ``image_size`` names or ``{width, height}``; ``size``
    such as ``"1536x1024"``; ``aspect_ratio`` (``"16:9"``) with ``resolution``
    (``"720p"`` = 720 lines, ``"2K"`` = 2048 on the long side; default 1024 long).
    A resolution without an aspect ratio keeps ``source_aspect`` (the input image's).
    """
    width, height = _number(params.get("width")), _number(params.get("height"))
    if width and height and width > 0 and height > 0:
        return round(width), round(height)
    for name in _SIZE_PARAMS:
        size = _parse_size(params.get(name))
        if size is not None:
            return size
    aspect = next((a for a in map(_parse_aspect, map(params.get, _ASPECT_PARAMS)) if a), None)
    resolution = params.get("resolution")
    explicit = _parse_size(resolution)
    if explicit is not None:
        return explicit
    short, long = _resolution_sides(resolution)
    if aspect is None and short is None and long is None:
        return None
    ratio = aspect or source_aspect or 1.0
    if short is not None:
        return (round(short * ratio), short) if ratio >= 1 else (short, round(short / ratio))
    side = long or 1024
    return (side, round(side / ratio)) if ratio >= 1 else (round(side * ratio), side)


def _parse_size(value: Any) -> tuple[int, int] | None:
    if isinstance(value, Mapping):
        width, height = _number(value.get("width")), _number(value.get("height"))
        return (round(width), round(height)) if width and height else None
    if not isinstance(value, str):
        return None
    if value in _FAL_SIZES:
        return _FAL_SIZES[value]
    match = re.fullmatch(r"\s*(\d{2,5})\s*[x*\u00d7]\s*(\d{2,5})\s*", value)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _parse_aspect(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[:/x]\s*(\d+(?:\.\d+)?)\s*", value)
    if match is None:
        return None
    width, height = float(match.group(1)), float(match.group(2))
    return width / height if width > 0 and height > 0 else None


def _resolution_sides(value: Any) -> tuple[int | None, int | None]:
    """``"720p"`` → short side 720; ``"2K"`` → long side 2048."""
    if not isinstance(value, str):
        return None, None
    text = value.strip().lower()
    match = re.fullmatch(r"(\d{3,4})p", text)
    if match:
        return int(match.group(1)), None
    match = re.fullmatch(r"(\d)k", text)
    if match:
        return None, 1024 * int(match.group(1))
    return None, None


def _number(value: Any) -> float | None:
    """A param as a number: ``5``, ``"5"``, ``"5s"``, ``"8 seconds"`` → 5.0 / 8.0."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        match = re.match(r"\s*(\d+(?:\.\d+)?)", value)
        return float(match.group(1)) if match else None
    return None


# ---------------------------------------------------------------- sounds and meshes


def speech_tone(text: str, *, pitch: float = 200.0) -> pcm.AudioClip:
    """A soft tone as long as ``text`` takes to say (~15 characters a second), pulsing per word."""
    duration = max(1.0, len(" ".join(text.split())) / CHARS_PER_SECOND)
    clip = pcm.tone(min(duration, pcm.MAX_SECONDS), frequency=pitch, sample_rate=PREVIEW_RATE)
    t = np.arange(clip.frames, dtype=np.float32) / PREVIEW_RATE
    syllables = (0.55 + 0.45 * np.sin(2 * np.pi * 3.0 * t)).astype(np.float32)[:, None]
    return pcm.AudioClip((clip.samples * syllables).astype(np.float32), PREVIEW_RATE)


def music_tone(duration_s: float, *, root: float = 220.0) -> pcm.AudioClip:
    """A quiet major chord of ``duration_s`` seconds with gentle fades."""
    fade = min(0.5, duration_s / 4)
    chord = [
        pcm.tone(
            duration_s, frequency=root * ratio, sample_rate=PREVIEW_RATE, level=0.08, fade_s=fade
        )
        for ratio in (1.0, 1.25, 1.5)
    ]
    mixed = sum((c.samples for c in chord[1:]), chord[0].samples)
    return pcm.AudioClip(np.asarray(mixed, dtype=np.float32), PREVIEW_RATE)


#: A unit cube as Wavefront OBJ: 8 vertices, 6 quad faces.
CUBE_OBJ = (
    "# Patchbay preview mesh: a unit cube\n"
    "o preview_cube\n"
    + "".join(f"v {x} {y} {z}\n" for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5))
    + "f 1 3 4 2\nf 5 6 8 7\nf 1 2 6 5\nf 3 7 8 4\nf 1 5 7 3\nf 2 4 8 6\n"
)
