"""Running the ffmpeg binary bundled with imageio-ffmpeg (no system ffmpeg needed).

Every invocation is bounded: ``-nostdin`` (ffmpeg never waits for a key press), a
wall-clock timeout after which the process is killed, ``-loglevel error`` so the
captured output is only what went wrong, and an output size cap (``-fs``). Outputs
are written bit-exact (no version strings or timestamps in the file), so the same
inputs give the same bytes and the content-addressed cache works.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import subprocess
from collections.abc import Sequence

from engine.errors import PermanentNodeError

#: Largest file an ffmpeg call may write (the ``-fs`` limit).
MAX_OUTPUT_BYTES = 2 * 1024**3
#: Default wall-clock limit of one ffmpeg call, in seconds.
DEFAULT_TIMEOUT_S = 300.0
#: Encoder threads: fixed so the encoded bytes do not depend on the machine's core count.
THREADS = 2

#: H.264 in MP4 that every player accepts, encoded quickly.
H264_ARGS: tuple[str, ...] = (
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-crf",
    "23",
    "-pix_fmt",
    "yuv420p",
    "-threads",
    str(THREADS),
)
#: AAC audio for MP4.
AAC_ARGS: tuple[str, ...] = ("-c:a", "aac", "-b:a", "128k")
#: Container options: no metadata carried over, index at the front, bit-exact output.
MP4_ARGS: tuple[str, ...] = (
    "-map_metadata",
    "-1",
    "-movflags",
    "+faststart",
    "-fflags",
    "+bitexact",
    "-flags",
    "+bitexact",
    "-f",
    "mp4",
)


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the bundled ffmpeg binary."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise PermanentNodeError(
            "ffmpeg is not available: install the imageio-ffmpeg package "
            f"(pip install imageio-ffmpeg) ({exc})"
        ) from exc


def command(args: Sequence[str], *, quiet: bool = True) -> list[str]:
    """The full command line for ``args`` (ffmpeg options after the global ones)."""
    base = [ffmpeg_exe(), "-nostdin", "-hide_banner"]
    if quiet:
        base += ["-loglevel", "error"]
    return [*base, *args]


def run_ffmpeg(
    args: Sequence[str],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    input_bytes: bytes | None = None,
    what: str = "ffmpeg",
) -> bytes:
    """Run ffmpeg with ``args`` and return what it wrote to stdout.

    Raises :class:`PermanentNodeError` with ffmpeg's own message when it fails or
    takes longer than ``timeout_s`` (the process is killed).
    """
    argv = command(args)
    try:
        completed = subprocess.run(
            argv,
            input=input_bytes,
            stdin=None if input_bytes is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PermanentNodeError(
            f"{what} took longer than {timeout_s:g} s and was stopped"
        ) from exc
    except OSError as exc:
        raise PermanentNodeError(f"{what}: cannot start ffmpeg ({exc.strerror or exc})") from exc
    if completed.returncode != 0:
        raise PermanentNodeError(f"{what} failed: {error_text(completed.stderr)}")
    return completed.stdout


async def run_ffmpeg_async(
    args: Sequence[str], *, timeout_s: float = DEFAULT_TIMEOUT_S, what: str = "ffmpeg"
) -> bytes:
    """:func:`run_ffmpeg` as an asyncio subprocess; cancelling the task kills ffmpeg."""
    process = await asyncio.create_subprocess_exec(
        *command(args),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError as exc:
        _kill(process)
        await process.wait()
        raise PermanentNodeError(
            f"{what} took longer than {timeout_s:g} s and was stopped"
        ) from exc
    except asyncio.CancelledError:
        _kill(process)
        await process.wait()
        raise
    if process.returncode != 0:
        raise PermanentNodeError(f"{what} failed: {error_text(stderr)}")
    return stdout


def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()


def error_text(stderr: bytes, *, limit: int = 400) -> str:
    """The last meaningful lines of ffmpeg's error output, shortened."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    text = " / ".join(line for line in lines if line)[-limit:]
    return text or "no error message"


def limit_args() -> list[str]:
    """Output options every write gets: the size cap."""
    return ["-fs", str(MAX_OUTPUT_BYTES)]


def seconds(value: float) -> str:
    """A duration as ffmpeg reads it (fixed-point, no exponent)."""
    return f"{max(0.0, value):.6f}"
