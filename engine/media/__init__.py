"""Local media helpers: ffmpeg (bundled by imageio-ffmpeg), probing, WAV audio, MP4 video.

- :mod:`engine.media.ffmpeg` runs the bundled binary with timeouts and size limits.
- :mod:`engine.media.probe` reads duration and streams from ``ffmpeg -i``.
- :mod:`engine.media.audio` holds audio as numpy arrays and reads/writes WAV.
- :mod:`engine.media.video` pipes frames into an H.264 MP4.
- :mod:`engine.media.store` stores clips and sounds as artifacts with their metadata.
"""

from __future__ import annotations

from engine.media.probe import AudioStream, MediaInfo, VideoStream, parse_ffmpeg_info, probe

__all__ = ["AudioStream", "MediaInfo", "VideoStream", "parse_ffmpeg_info", "probe"]
