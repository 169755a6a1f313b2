"""Moving media between the artifact store and providers.

Inputs go out as ``data:`` URIs (:func:`data_uri`): fal and Replicate both accept
them for file inputs (https://fal.ai/docs/documentation/model-apis/fal-cdn,
https://replicate.com/docs/topics/predictions/input-files). Replicate recommends
them for files under 1 MB and fal's CDN upload is the general route for large
files, so adapters inline inputs only up to ``Provider.inline_input_limit``
(10 MiB by default); a larger artifact is passed by the URL it was downloaded
from when it has one (``metadata["sourceUrl"]``), else the node fails with a
message naming the limit.

Outputs come back as URLs (or data URIs when a provider inlines them):
:func:`download` streams them with a size cap and maps failures to the engine's
errors; :func:`store_media` checks the bytes are what the port promises (images
are decoded with Pillow, text/HTML/JSON on a media port is refused) and stores
them as an :class:`engine.values.Artifact` with the right kind and media type.
Downloads never carry the provider's API key.
"""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from engine.catalog.spec import PortSpec, PortType
from engine.errors import NodeError, PermanentNodeError
from engine.nodes.base import NodeContext
from engine.providers.http import Redactor, error_for_status, error_for_transport
from engine.values import Artifact

__all__ = [
    "DEFAULT_MEDIA_TYPES",
    "MediaRef",
    "check_inline_size",
    "data_uri",
    "decode_data_uri",
    "download",
    "media_ref",
    "store_media",
]

#: The media type assumed for a port kind when nothing better is known.
DEFAULT_MEDIA_TYPES: Mapping[PortType, str] = {
    PortType.IMAGE: "image/png",
    PortType.MASK: "image/png",
    PortType.VIDEO: "video/mp4",
    PortType.AUDIO: "audio/mpeg",
    PortType.MESH: "model/gltf-binary",
}
_GENERIC = {"", "application/octet-stream", "binary/octet-stream", "application/binary"}
_EXTRA_TYPES = {".glb": "model/gltf-binary", ".gltf": "model/gltf+json", ".obj": "model/obj"}


@dataclass(frozen=True, slots=True)
class MediaRef:
    """Where a provider put an output file, and what it says the file is."""

    url: str
    media_type: str | None = None
    filename: str | None = None


def media_ref(value: Any) -> MediaRef:
    """A :class:`MediaRef` from a URL string or a ``{url, content_type, file_name}`` object."""
    if isinstance(value, str) and value.strip():
        return MediaRef(value.strip())
    if isinstance(value, Mapping):
        url = value.get("url") or value.get("uri") or value.get("href")
        if isinstance(url, str) and url.strip():
            media_type = value.get("content_type") or value.get("mime_type")
            filename = value.get("file_name") or value.get("filename")
            return MediaRef(
                url.strip(),
                media_type if isinstance(media_type, str) else None,
                filename if isinstance(filename, str) else None,
            )
    raise PermanentNodeError(
        f"the provider returned {type(value).__name__} where a file URL was expected",
        details={"code": "malformed_response"},
    )


def data_uri(data: bytes, media_type: str) -> str:
    """``data:<type>;base64,<data>``."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def decode_data_uri(uri: str, *, limit: int) -> tuple[bytes, str | None]:
    """The bytes and media type of a ``data:`` URI (base64 or percent-encoded)."""
    header, sep, payload = uri.partition(",")
    if not sep or not header.startswith("data:"):
        raise PermanentNodeError("the provider returned a malformed data URI")
    if len(payload) * 3 // 4 > limit:
        raise PermanentNodeError(f"the provider's inline output is larger than {limit} bytes")
    meta = header[5:].split(";")
    try:
        data = (
            base64.b64decode(payload, validate=True)
            if "base64" in meta[1:]
            else unquote(payload).encode()
        )
    except (binascii.Error, ValueError):
        raise PermanentNodeError("the provider returned a data URI that is not base64") from None
    return data, meta[0] or None


async def download(
    client: httpx.AsyncClient,
    url: str,
    *,
    limit: int,
    provider: str,
    redact: Redactor,
    headers: Mapping[str, str] | None = None,
) -> tuple[bytes, str | None]:
    """The bytes and ``Content-Type`` at ``url`` (at most ``limit`` bytes).

    ``headers`` are sent as given: callers pass auth headers only for the
    provider's own origin, so a CDN link never receives the key.
    """
    if url.startswith("data:"):
        return decode_data_uri(url, limit=limit)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise PermanentNodeError(
            f"{provider} returned an output location that is not an http(s) URL",
            details={"provider": provider, "code": "malformed_response"},
        )
    failure: NodeError | None = None
    try:
        return await _fetch(
            client, url, limit=limit, provider=provider, redact=redact, headers=headers
        )
    except httpx.TransportError as exc:
        failure = error_for_transport(exc, provider=provider, redact=redact)
    raise failure  # outside the handler, so the httpx error is not chained


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    limit: int,
    provider: str,
    redact: Redactor,
    headers: Mapping[str, str] | None,
) -> tuple[bytes, str | None]:
    async with client.stream("GET", url, headers=dict(headers or {})) as response:
        status = response.status_code
        if status >= 400:
            await response.aread()
            if status in (408, 425, 429) or status >= 500:
                raise error_for_status(
                    response, provider=provider, redact=redact, prefix="downloading from "
                )
            raise PermanentNodeError(
                f"could not download the output of {provider} (HTTP {status}): "
                "the file is gone or its link expired",
                details={"provider": provider, "status": status, "code": "download_failed"},
            )
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise _too_large(provider, limit)
        chunks: list[bytes] = []
        received = 0
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            if received > limit:
                raise _too_large(provider, limit)
            chunks.append(chunk)
        return b"".join(chunks), response.headers.get("content-type")


def _too_large(provider: str, limit: int) -> PermanentNodeError:
    return PermanentNodeError(
        f"the output from {provider} is larger than the download limit of {limit} bytes",
        details={"provider": provider, "code": "too_large", "limit": limit},
    )


def _clean_type(media_type: str | None) -> str:
    return (media_type or "").split(";")[0].strip().lower()


def _filename(ref: MediaRef) -> str | None:
    if ref.filename:
        return posixpath.basename(ref.filename) or None
    if not ref.url.startswith(("http://", "https://")):
        return None
    return posixpath.basename(unquote(urlsplit(ref.url).path)) or None


def _guess_type(filename: str | None) -> str:
    if not filename:
        return ""
    extension = posixpath.splitext(filename)[1].lower()
    return _EXTRA_TYPES.get(extension) or mimetypes.guess_type(filename)[0] or ""


def store_media(
    ctx: NodeContext,
    port: PortSpec,
    data: bytes,
    ref: MediaRef,
    *,
    content_type: str | None,
    metadata: Mapping[str, Any],
) -> Artifact:
    """Check ``data`` fits ``port`` and store it as an artifact of the port's kind."""
    filename = _filename(ref)
    candidates = [_clean_type(ref.media_type), _clean_type(content_type), _guess_type(filename)]
    media_type = next((c for c in candidates if c not in _GENERIC), "")
    if not data:
        raise PermanentNodeError(
            f"the provider returned an empty file for output {port.name!r}",
            details={"code": "malformed_response", "port": port.name},
        )
    if media_type.startswith("text/") or media_type in ("application/json", "application/xml"):
        raise PermanentNodeError(
            f"the provider returned {media_type} instead of {port.type.value} "
            f"for output {port.name!r}",
            details={"code": "malformed_response", "port": port.name},
        )
    extra: dict[str, Any] = dict(metadata)
    if ref.url.startswith(("http://", "https://")):
        extra["sourceUrl"] = ref.url
    if port.type in (PortType.IMAGE, PortType.MASK):
        media_type, width, height = _check_image(data, port)
        extra.update(width=width, height=height)
    media_type = media_type or DEFAULT_MEDIA_TYPES.get(port.type, "application/octet-stream")
    return ctx.artifacts.put_bytes(
        data, kind=port.type, media_type=media_type, filename=filename, metadata=extra
    )


def _check_image(data: bytes, port: PortSpec) -> tuple[str, int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format or "PNG"
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PermanentNodeError(
            f"the provider returned a file for image output {port.name!r} that is not an image",
            details={"code": "malformed_response", "port": port.name},
        ) from None
    return Image.MIME.get(image_format, "image/png"), width, height


def check_inline_size(size: int, *, limit: int, port: PortSpec, provider: str) -> None:
    """Refuse an input too large to inline (the message names the limit)."""
    if size > limit:
        raise PermanentNodeError(
            f"input {port.name!r} is {_human(size)}; {provider} inputs are sent inline "
            f"up to {_human(limit)}. Resize it first or host it and pass its URL.",
            details={"provider": provider, "code": "input_too_large", "limit": limit},
        )


def _human(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
