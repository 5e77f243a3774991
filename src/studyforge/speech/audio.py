"""What an uploaded audio file is, from its content: magic bytes first, then a PyAV probe.

`sniff` names the format from the first bytes (the file name is never trusted). `probe`
opens and decodes the whole file with PyAV's bundled FFmpeg and returns its real duration;
it runs in a child process bounded in time and memory (`kit.sandbox`), since FFmpeg's
demuxers and decoders parse untrusted bytes.
"""

from __future__ import annotations

import io
from typing import Any

# format -> (media type, blob key extension)
FORMATS: dict[str, tuple[str, str]] = {
    "wav": ("audio/wav", ".wav"),
    "flac": ("audio/flac", ".flac"),
    "ogg": ("audio/ogg", ".ogg"),
    "mp3": ("audio/mpeg", ".mp3"),
    "mp4": ("audio/mp4", ".m4a"),
    "webm": ("audio/webm", ".webm"),
    "amr": ("audio/amr", ".amr"),
}
FORMAT_NAMES = "MP3, MP4/M4A, WAV, FLAC, OGG, AMR or WebM"
MIN_SECONDS = 0.1
PROBE = "studyforge.speech.audio:probe"


class ProbeError(Exception):
    """The file is not audio that can be decoded; the message is safe to show."""


def _is_mp3(head: bytes) -> bool:
    if head.startswith(b"ID3"):
        return True
    # An MPEG audio frame header: 11 sync bits, then a layer other than 00 (00 is AAC's ADTS).
    return len(head) > 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0


def sniff(data: bytes) -> str | None:
    """The format of `data` (a key of `FORMATS`) from its magic bytes, or None."""
    head = data[:16]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"#!AMR"):
        return "amr"
    if _is_mp3(head):
        return "mp3"
    return None


def probe(data: bytes, *, max_seconds: float) -> dict[str, Any]:
    """Decode the whole file; its duration in seconds. Runs in the sandbox child."""
    import av

    try:
        container = av.open(io.BytesIO(data), mode="r")
    except Exception:
        raise ProbeError("the file could not be opened as audio; it may be corrupt") from None
    with container:
        streams = container.streams.audio
        if not streams:
            raise ProbeError("the file has no audio track")
        declared = (container.duration or 0) / 1_000_000
        if declared > max_seconds:  # no need to decode it all: the caller refuses it
            return {"duration": round(declared, 2)}
        samples, rate = 0, 0
        try:
            for frame in container.decode(streams[0]):
                samples += frame.samples
                rate = frame.sample_rate or rate
        except Exception:
            raise ProbeError("the audio could not be decoded; the file may be corrupt") from None
    seconds = samples / rate if rate else 0.0
    if seconds < MIN_SECONDS:
        raise ProbeError("the file contains no decodable audio; it may be corrupt or truncated")
    return {"duration": round(seconds, 2)}
