"""Hand-built run records for the run widget tests and the render script."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from PIL import Image, ImageDraw
from PySide6.QtGui import QImage

from engine.catalog.spec import PortType
from engine.executor.events import ErrorKind, ExecutionState, NodeErrorInfo, NodeState
from engine.executor.record import ExecutionRecord, ItemRecord, NodeRecord
from engine.values import Artifact, Batch, encode_value

T0 = 1_764_340_000.0


def artifact(
    name: str, kind: PortType, media_type: str, size: int = 48_213, **meta: Any
) -> Artifact:
    """An artifact reference with a stable id derived from ``name``."""
    return Artifact(
        id=hashlib.sha256(name.encode()).hexdigest(),
        kind=kind,
        media_type=media_type,
        size=size,
        metadata=meta,
    )


def png_bytes(width: int = 640, height: int = 360, label: str = "hero shot") -> bytes:
    """A small PNG made with Pillow: a warm gradient with a sneaker-ish blob."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = int(70 + 110 * y / height)
        draw.line([(0, y), (width, y)], fill=(shade, int(shade * 0.82), int(shade * 0.7)))
    draw.rectangle([0, height * 0.72, width, height], fill=(168, 160, 150))
    draw.ellipse([width * 0.3, height * 0.42, width * 0.72, height * 0.76], fill=(196, 38, 44))
    draw.ellipse([width * 0.3, height * 0.64, width * 0.72, height * 0.78], fill=(236, 236, 232))
    draw.text((12, 10), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qimage(data: bytes) -> QImage:
    image = QImage()
    assert image.loadFromData(data)
    return image


HERO = artifact("hero", PortType.IMAGE, "image/png", width=640, height=360)
CLIP = artifact(
    "clip",
    PortType.VIDEO,
    "video/mp4",
    size=2_412_880,
    width=1280,
    height=720,
    duration_s=5.0,
    codec="h264",
    fps=24,
)
VARIANTS = [
    artifact(f"variant{i}", PortType.IMAGE, "image/png", width=320, height=180) for i in range(3)
]


def images() -> dict[str, QImage]:
    """Pictures for the image artifacts above, keyed by artifact id."""
    found = {HERO.id: qimage(png_bytes())}
    for index, variant in enumerate(VARIANTS):
        found[variant.id] = qimage(png_bytes(320, 180, f"variant {index + 1}"))
    return found


def node(node_id: str, start: float | None, end: float | None, **fields: Any) -> NodeRecord:
    """A node that ran from ``T0 + start`` to ``T0 + end`` seconds."""
    defaults: dict[str, Any] = {
        "label": node_id.capitalize(),
        "type": "utility.test",
        "status": NodeState.COMPLETED if end is not None else NodeState.PENDING,
        "attempts": 1 if start is not None else 0,
    }
    defaults.update(fields)
    return NodeRecord(
        node_id=node_id,
        started_at=None if start is None else T0 + start,
        finished_at=None if end is None else T0 + end,
        duration_ms=None if start is None or end is None else (end - start) * 1000,
        **defaults,
    )


def failed_node() -> NodeRecord:
    return node(
        "clip",
        4.2,
        6.0,
        label="Animate",
        type="video.kling-2-1-image-to-video",
        status=NodeState.FAILED,
        attempts=3,
        error=NodeErrorInfo(
            ErrorKind.TRANSIENT,
            "fal returned 503 Service Unavailable after 3 attempts",
            {"provider": "fal", "status": 503, "request_id": "req_8f2c"},
        ),
    )


def sample_dependencies() -> dict[str, list[str]]:
    return {
        "shot": ["brief"],
        "caption": ["brief"],
        "variants": ["shot"],
        "clip": ["shot"],
        "voice": ["caption"],
        "mux": ["clip", "voice"],
        "meta": ["caption"],
    }


def sample_record() -> ExecutionRecord:
    """A realistic preview run: text, image, batch, video, cached audio, JSON."""
    items = [
        ItemRecord(
            index=i,
            status=NodeState.COMPLETED,
            started_at=T0 + 4.1 + i * 0.4,
            finished_at=T0 + 5.0 + i * 0.5,
            duration_ms=(0.9 + i * 0.1) * 1000,
            credits=1,
            attempts=1,
        )
        for i in range(3)
    ]
    caption = (
        "A red canvas sneaker rests on a pale concrete plinth.\n"
        "Soft window light from the left; shallow depth of field."
    )
    nodes = [
        node(
            "brief", 0.0, 0.01, label="Brief", type="input.text", outputs={"text": "a red sneaker"}
        ),
        node(
            "shot",
            0.02,
            4.05,
            label="Hero shot",
            type="image.flux-2-pro",
            credits=5,
            preview=True,
            outputs={"image": encode_value(HERO)},
        ),
        node(
            "caption",
            0.02,
            1.4,
            label="Caption",
            type="text.llm-chat",
            credits=1,
            preview=True,
            outputs={"text": caption},
        ),
        node(
            "variants",
            4.1,
            6.0,
            label="Variants",
            type="image.flux-2-pro",
            credits=3,
            preview=True,
            items=items,
            outputs={"image": encode_value(Batch(tuple(VARIANTS)))},
        ),
        node(
            "clip",
            4.1,
            9.6,
            label="Animate",
            type="video.kling-2-1-image-to-video",
            credits=20,
            preview=True,
            outputs={"video": encode_value(CLIP)},
        ),
        node(
            "voice",
            1.41,
            1.45,
            label="Voice-over",
            type="audio.elevenlabs-tts",
            status=NodeState.CACHED,
            cached=True,
            attempts=0,
        ),
        node(
            "meta",
            1.42,
            1.5,
            label="Metadata",
            type="utility.json-build",
            outputs={
                "json": {
                    "title": "Red sneaker",
                    "tags": ["shoe", "studio"],
                    "size": {"w": 1280, "h": 720},
                }
            },
        ),
        node(
            "mux",
            9.62,
            10.9,
            label="Mux audio",
            type="video.mux-audio",
            outputs={"video": encode_value(CLIP)},
        ),
    ]
    return ExecutionRecord(
        execution_id="exec-7f3a",
        workflow_name="Product shot to video",
        status=ExecutionState.COMPLETED,
        started_at=T0,
        finished_at=T0 + 10.95,
        duration_ms=10_950,
        credits=sum(n.credits for n in nodes),
        estimated_credits=29,
        preview=True,
        progress=1.0,
        nodes=nodes,
    )
