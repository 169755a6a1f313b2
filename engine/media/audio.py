"""Audio as numpy arrays, read and written as 16-bit PCM WAV with the stdlib ``wave``.

Inside the engine audio travels as WAV (``audio/wav``, PCM 16-bit). A clip is a
float32 array of shape ``(frames, channels)`` in ``[-1, 1]`` plus its sample rate.
Files in other formats (MP3 or AAC from a provider) are decoded with ffmpeg.
"""

from __future__ import annotations

import io
import math
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engine.errors import PermanentNodeError
from engine.media.ffmpeg import run_ffmpeg

Samples = npt.NDArray[np.float32]

#: Longest clip any audio node makes or reads (one hour).
MAX_SECONDS = 3600.0
SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)
DEFAULT_RATE = 44100
_MIN_RATE, _MAX_RATE = 4000, 192000


@dataclass(frozen=True, slots=True)
class AudioClip:
    """Samples ``(frames, channels)`` as float32 in [-1, 1] at ``sample_rate`` Hz."""

    samples: Samples
    sample_rate: int

    @property
    def channels(self) -> int:
        """Number of channels (1 mono, 2 stereo)."""
        return int(self.samples.shape[1])

    @property
    def frames(self) -> int:
        """Number of sample frames."""
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


def silence(duration_s: float, sample_rate: int = DEFAULT_RATE, channels: int = 1) -> AudioClip:
    """``duration_s`` seconds of silence."""
    frames = frames_for(duration_s, sample_rate)
    return AudioClip(np.zeros((frames, channels), dtype=np.float32), sample_rate)


def frames_for(duration_s: float, sample_rate: int) -> int:
    """Frames in ``duration_s`` seconds, checked against :data:`MAX_SECONDS`."""
    if not math.isfinite(duration_s) or duration_s < 0:
        raise PermanentNodeError(f"duration must be 0 seconds or more, got {duration_s}")
    if duration_s > MAX_SECONDS:
        raise PermanentNodeError(
            f"{duration_s:g} s of audio is more than the {MAX_SECONDS:g} s limit"
        )
    return round(duration_s * sample_rate)


def encode_wav(clip: AudioClip) -> bytes:
    """The clip as a 16-bit PCM WAV file."""
    if clip.duration_s > MAX_SECONDS + 1:
        raise PermanentNodeError(
            f"the result would be {clip.duration_s:.0f} s long; the limit is {MAX_SECONDS:g} s"
        )
    pcm = np.round(np.clip(clip.samples, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(clip.channels)
        out.setsampwidth(2)
        out.setframerate(clip.sample_rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def decode_wav(data: bytes, *, name: str = "audio") -> AudioClip:
    """Read PCM WAV bytes (8, 16, 24 or 32-bit integer samples)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as source:
            channels = source.getnchannels()
            width = source.getsampwidth()
            rate = source.getframerate()
            if not _MIN_RATE <= rate <= _MAX_RATE:
                raise PermanentNodeError(f"{name}: unsupported sample rate {rate} Hz")
            if source.getnframes() > MAX_SECONDS * rate:
                raise PermanentNodeError(f"{name} is longer than the {MAX_SECONDS:g} s limit")
            raw = source.readframes(source.getnframes())
    except (wave.Error, EOFError) as exc:
        raise PermanentNodeError(f"{name} is not a PCM WAV file ({exc})") from exc
    if channels < 1:
        raise PermanentNodeError(f"{name} has no audio channels")
    samples = _pcm_to_float(raw, width, name=name)
    usable = len(samples) - len(samples) % channels
    return AudioClip(samples[:usable].reshape(-1, channels), rate)


def _pcm_to_float(raw: bytes, width: int, *, name: str) -> Samples:
    if width == 1:
        values = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        values = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        bytes3 = np.frombuffer(raw[: len(raw) - len(raw) % 3], dtype=np.uint8).reshape(-1, 3)
        ints = (
            bytes3[:, 0].astype(np.int32)
            | (bytes3[:, 1].astype(np.int32) << 8)
            | (bytes3[:, 2].astype(np.int32) << 16)
        )
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        values = ints.astype(np.float32) / float(1 << 23)
    elif width == 4:
        values = np.frombuffer(raw, dtype="<i4").astype(np.float32) / float(1 << 31)
    else:
        raise PermanentNodeError(f"{name}: unsupported {8 * width}-bit samples")
    return values.astype(np.float32)


def load_audio(path: Path, *, name: str | None = None) -> AudioClip:
    """Read an audio file: PCM WAV directly, anything ffmpeg knows (MP3, AAC…) decoded."""
    label = name or path.name
    data = path.read_bytes()
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            return decode_wav(data, name=label)
        except PermanentNodeError:
            pass  # e.g. float WAV: let ffmpeg convert it
    with tempfile.TemporaryDirectory(prefix="patchbay-audio-") as tmp:
        target = Path(tmp) / "decoded.wav"
        run_ffmpeg(
            ["-i", str(path), "-vn", "-t", str(MAX_SECONDS), "-c:a", "pcm_s16le", str(target)],
            what=f"decoding {label}",
        )
        return decode_wav(target.read_bytes(), name=label)


def resample(clip: AudioClip, sample_rate: int) -> AudioClip:
    """The clip at another sample rate (linear interpolation: fine for speech and mixing)."""
    if clip.sample_rate == sample_rate or clip.frames == 0:
        return AudioClip(clip.samples, sample_rate) if clip.frames == 0 else clip
    frames = max(1, round(clip.frames * sample_rate / clip.sample_rate))
    old = np.arange(clip.frames, dtype=np.float64) / clip.sample_rate
    new = np.arange(frames, dtype=np.float64) / sample_rate
    channels = [np.interp(new, old, clip.samples[:, c]) for c in range(clip.channels)]
    return AudioClip(np.stack(channels, axis=1).astype(np.float32), sample_rate)


def with_channels(clip: AudioClip, channels: int) -> AudioClip:
    """The clip as mono (average) or with the mono signal copied to ``channels``."""
    if clip.channels == channels:
        return clip
    if channels == 1:
        return AudioClip(
            clip.samples.mean(axis=1, keepdims=True).astype(np.float32), clip.sample_rate
        )
    mono = clip.samples if clip.channels == 1 else clip.samples.mean(axis=1, keepdims=True)
    return AudioClip(np.repeat(mono, channels, axis=1).astype(np.float32), clip.sample_rate)


def conform(clips: list[AudioClip]) -> list[AudioClip]:
    """The clips at one sample rate (the highest) and channel count (the most)."""
    rate = max(c.sample_rate for c in clips)
    channels = max(c.channels for c in clips)
    return [with_channels(resample(c, rate), channels) for c in clips]


def pad_to(clip: AudioClip, frames: int) -> AudioClip:
    """The clip cut or padded with silence to ``frames`` frames."""
    if clip.frames >= frames:
        return AudioClip(clip.samples[:frames], clip.sample_rate)
    padding = np.zeros((frames - clip.frames, clip.channels), dtype=np.float32)
    return AudioClip(np.concatenate([clip.samples, padding]), clip.sample_rate)


def peak(clip: AudioClip) -> float:
    """The largest absolute sample value (0 for silence)."""
    return float(np.max(np.abs(clip.samples))) if clip.frames else 0.0


def rms(clip: AudioClip) -> float:
    """Root mean square level over all channels."""
    if not clip.frames:
        return 0.0
    return float(np.sqrt(np.mean(np.square(clip.samples, dtype=np.float64))))


def to_db(level: float) -> float:
    """A linear level in dBFS (``-inf`` for 0)."""
    return 20 * math.log10(level) if level > 0 else -math.inf


def from_db(db: float) -> float:
    """A dB gain as a linear factor."""
    return float(10 ** (db / 20))


def gain(clip: AudioClip, factor: float) -> AudioClip:
    """The clip multiplied by ``factor`` (not clipped; encoding clips)."""
    return AudioClip((clip.samples * np.float32(factor)).astype(np.float32), clip.sample_rate)


def fade(clip: AudioClip, fade_in_s: float, fade_out_s: float) -> AudioClip:
    """Linear fade in at the start and fade out at the end."""
    samples = clip.samples.copy()
    fade_in = min(clip.frames, round(fade_in_s * clip.sample_rate))
    fade_out = min(clip.frames, round(fade_out_s * clip.sample_rate))
    if fade_in > 0:
        samples[:fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)[:, None]
    if fade_out > 0:
        samples[-fade_out:] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)[:, None]
    return AudioClip(samples, clip.sample_rate)


def tone(
    duration_s: float,
    *,
    frequency: float = 440.0,
    sample_rate: int = DEFAULT_RATE,
    level: float = 0.2,
    fade_s: float = 0.05,
) -> AudioClip:
    """A gentle sine tone with short fades (mono)."""
    frames = frames_for(duration_s, sample_rate)
    t = np.arange(frames, dtype=np.float64) / sample_rate
    wave_ = (level * np.sin(2 * np.pi * frequency * t)).astype(np.float32)[:, None]
    return fade(AudioClip(wave_, sample_rate), fade_s, fade_s)
