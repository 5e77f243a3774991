"""Text-to-speech use cases: synthesise (with the cache), read, download, delete, voices.

The cache maps a key to an `audio_id`. The specification's key is SHA-256 of (text + voice_id
+ format); here the owner's id is part of it too. A hit therefore only ever returns a row the
caller already owns (`cached: true`, same `audio_id`, same blob): one user's audio is never
served under another user's request, and deleting audio cannot break someone else's hit.
The cost is that two users asking for the same sentence each synthesise it once.

Redis (`REDIS_URL`) holds the cache when configured, for `TTS_CACHE_TTL_SECONDS`; otherwise an
in-process dictionary does. Redis is an optimisation: with Redis down, synthesis works
uncached (`cached: false`). A hit whose row or blob is gone is treated as a miss.

Every synthesis, over HTTP or Kafka, cached or not, is announced as `audio.generation.completed`
through the outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import io
import logging
import re
import threading
import time
import unicodedata
import uuid
from typing import Any

import numpy as np
import soundfile as sf
from sqlalchemy.orm import Session

from studyforge.ai.tts import TTS, Voice
from studyforge.config import Settings
from studyforge.db import after_commit
from studyforge.errors import AppError, NotFound
from studyforge.events.service import emit
from studyforge.speech.models import GeneratedAudio
from studyforge.storage import BlobStore

log = logging.getLogger(__name__)
# format -> (soundfile format, subtype, content type, extension)
FORMATS: dict[str, tuple[str, str, str, str]] = {
    "mp3": ("MP3", "MPEG_LAYER_III", "audio/mpeg", ".mp3"),
    "ogg": ("OGG", "VORBIS", "audio/ogg", ".ogg"),
    "wav": ("WAV", "PCM_16", "audio/wav", ".wav"),
}
URL_TTL_SECONDS = 3600
COMPLETED_EVENT = "audio.generation.completed"
# The specification's (AWS Polly) names -> the offline voice of the same language and gender.
ALIASES: dict[str, Voice] = {
    v.id: v
    for v in [
        Voice("Joanna", "Joanna", "en-US", "Female"),
        Voice("Salli", "Salli", "en-US", "Female"),
        Voice("Kendra", "Kendra", "en-US", "Female"),
        Voice("Amy", "Amy", "en-GB", "Female"),
        Voice("Emma", "Emma", "en-GB", "Female"),
        Voice("Matthew", "Matthew", "en-US", "Male"),
        Voice("Joey", "Joey", "en-US", "Male"),
        Voice("Justin", "Justin", "en-US", "Male"),
        Voice("Brian", "Brian", "en-GB", "Male"),
    ]
}
# The offline voice each gender's names are spoken by (both American English: no British
# voice ships offline, so the en-GB names are listed as en-GB but spoken with a US accent).
ALIAS_TARGETS = {"Female": "heart", "Male": "joe"}
_TAG = re.compile(r"<[^>]{0,500}>")
_CONTROL = {"Cc", "Cf", "Co", "Cs"}


class AudioNotFound(NotFound):
    code = "AUDIO_NOT_FOUND"


class AudioExpired(AppError):
    """The audio file was deleted by retention (`GENERATED_AUDIO_RETENTION_DAYS`)."""

    status = 410
    code = "AUDIO_EXPIRED"


class InvalidText(AppError):
    status = 422
    code = "INVALID_TEXT"


class UnknownVoice(AppError):
    status = 422
    code = "UNKNOWN_VOICE"


def plain_text(text: str) -> str:
    """Markup (`<speak>`, `<break/>`, any tag) and control characters removed; entities
    decoded; whitespace collapsed. A `<break/>` and a run of one symbol (a Markdown rule or
    heading underline such as `=====`, a code fence) become a sentence pause: a voice would
    otherwise read "equals equals equals"."""
    text = re.sub(r"<break\b[^>]*>", ". ", text, flags=re.IGNORECASE)
    text = html.unescape(_TAG.sub(" ", text))
    text = "".join(" " if unicodedata.category(c) in _CONTROL else c for c in text)
    text = re.sub(r"([^\w\s])\1{2,}", ". ", text)
    text = re.sub(r"\s+", " ", text).strip().replace(" .", ".")
    return re.sub(r"(\.\s*){2,}", ". ", re.sub(r"^[.\s]+", "", text)).strip()


def voices(tts: TTS, language_code: str | None = None) -> list[Voice]:
    """The adapter's voices plus the specification's names that map onto them."""
    own = tts.voices()
    ids = {v.id for v in own}
    listed = list(own) + [v for v in ALIASES.values() if ALIAS_TARGETS[v.gender] in ids]
    if language_code:
        listed = [v for v in listed if v.language_code.lower() == language_code.lower()]
    return listed


def resolve_voice(tts: TTS, voice_id: str) -> str:
    """The adapter's own voice id for `voice_id`, or 422 naming the voices there are."""
    own = {v.id for v in tts.voices()}
    if voice_id in own:
        return voice_id
    alias = ALIASES.get(voice_id)
    if alias is not None and ALIAS_TARGETS[alias.gender] in own:
        return ALIAS_TARGETS[alias.gender]
    names = ", ".join(v.id for v in voices(tts))
    raise UnknownVoice(f"unknown voice {voice_id!r}; available voices: {names}")


def encode(samples: np.ndarray, rate: int, fmt: str) -> bytes:
    """`samples` as a file of `fmt` (mp3 | ogg | wav), via libsndfile."""
    sf_format, subtype, _, _ = FORMATS[fmt]
    out = io.BytesIO()
    sf.write(out, samples, rate, format=sf_format, subtype=subtype)
    return out.getvalue()


class MemoryCache:
    """A thread-safe key -> (expiry, value) map for one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, str]] = {}

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
        return entry[1] if entry and entry[0] > time.monotonic() else None

    def put(self, key: str, value: str, ttl: int) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, value)

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


class RedisCache:
    """The same over Redis; every failure means "not cached" (logged once)."""

    def __init__(self, url: str) -> None:
        import redis

        self._errors = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(
            url, socket_timeout=0.25, socket_connect_timeout=0.25, retry_on_timeout=False
        )
        self._warned = False

    def _call(self, what: str, *args: Any) -> Any:
        try:
            result = getattr(self._client, what)(*args)
        except self._errors as exc:
            if not self._warned:
                log.warning("tts cache: Redis is unavailable (%s); synthesising uncached", exc)
            self._warned = True
            return None
        self._warned = False
        return result

    def get(self, key: str) -> str | None:
        raw = self._call("get", key)
        return raw.decode() if isinstance(raw, bytes) else raw

    def put(self, key: str, value: str, ttl: int) -> None:
        self._call("set", key, value, ttl)

    def forget(self, key: str) -> None:
        self._call("delete", key)


_CACHES: dict[str, Any] = {}
_CACHES_LOCK = threading.Lock()


def cache_for(settings: Settings) -> MemoryCache | RedisCache:
    """One cache per Redis URL, or one in-process cache per home folder."""
    name = settings.redis_url or f"memory:{settings.home.resolve()}"
    with _CACHES_LOCK:
        if name not in _CACHES:
            _CACHES[name] = RedisCache(name) if settings.redis_url else MemoryCache()
        return _CACHES[name]


def cache_key(user_id: uuid.UUID, text: str, voice_id: str, fmt: str) -> str:
    """SHA-256 of (owner + text + voice_id + format), NUL-separated."""
    joined = "\0".join([str(user_id), text, voice_id, fmt])
    return hashlib.sha256(joined.encode()).hexdigest()


def synthesize(
    session: Session, blobs: BlobStore, settings: Settings, tts: TTS, *, user_id: uuid.UUID,
    text: str, voice_id: str, language_code: str, fmt: str, request_id: str | None = None,
) -> tuple[GeneratedAudio, bool]:  # fmt: skip
    """The caller's audio for the request and whether it came from the cache (announced)."""
    spoken = plain_text(text)
    if not spoken:
        raise InvalidText("the text is empty once markup is removed")
    if len(spoken) > settings.tts_max_chars:
        raise InvalidText(
            f"the text is {len(spoken)} characters long; the limit is {settings.tts_max_chars}"
        )
    voice = resolve_voice(tts, voice_id)
    cache = cache_for(settings)
    key = cache_key(user_id, spoken, voice_id, fmt)
    hit = cache.get(key)
    if hit is not None:
        row = session.get(GeneratedAudio, uuid.UUID(hit))
        if row is not None and row.user_id == user_id and row.expired_at is None:
            announce(session, row, cached=True, request_id=request_id)
            return row, True
        cache.forget(key)
    samples, rate = tts.synthesize(spoken, voice, timeout=settings.tts_timeout_seconds)
    data = encode(samples, rate, fmt)
    row = GeneratedAudio(
        audio_id=uuid.uuid4(), user_id=user_id, text=spoken, voice_id=voice_id,
        language_code=language_code, format=fmt, duration=round(len(samples) / rate, 2),
        size_bytes=len(data), cache_key=key,
    )  # fmt: skip
    row.s3_key = f"tts/{user_id}/{row.audio_id}{FORMATS[fmt][3]}"
    blobs.put(row.s3_key, data, FORMATS[fmt][2])
    session.add(row)
    session.flush()
    audio_id, ttl = str(row.audio_id), settings.tts_cache_ttl_seconds
    after_commit(session, lambda: cache.put(key, audio_id, ttl))
    announce(session, row, cached=False, request_id=request_id)
    return row, False


def announce(
    session: Session, row: GeneratedAudio, *, cached: bool, request_id: str | None
) -> None:
    """Emit `audio.generation.completed` for audio handed out (made now or from the cache)."""
    payload = {
        "audio_id": str(row.audio_id), "user_id": str(row.user_id), "request_id": request_id,
        "status": "completed", "cached": cached, "voice_id": row.voice_id,
        "language_code": row.language_code, "output_format": row.format, "s3_key": row.s3_key,
        "duration": row.duration, "size_bytes": row.size_bytes, "characters": len(row.text),
        "generated_at": row.generated_at.isoformat(),
    }  # fmt: skip
    emit(session, COMPLETED_EVENT, payload, stream_id=row.audio_id, user_id=row.user_id)


def get(session: Session, audio_id: uuid.UUID, user_id: uuid.UUID) -> GeneratedAudio:
    """The caller's audio, or 404 (also for another user's)."""
    row = session.get(GeneratedAudio, audio_id)
    if row is None or row.user_id != user_id:
        raise AudioNotFound("Audio not found")
    return row


def delete(session: Session, blobs: BlobStore, settings: Settings, row: GeneratedAudio) -> None:
    """Delete the row, and after commit its blob and cache entry."""
    key, cached = row.s3_key, row.cache_key
    session.delete(row)

    def cleanup() -> None:
        blobs.delete(key)
        cache_for(settings).forget(cached)

    after_commit(session, cleanup)


def _signature(settings: Settings, audio_id: uuid.UUID, expires: int) -> str:
    message = f"tts-download:{audio_id}:{expires}".encode()
    return hmac.new(settings.secret_key().encode(), message, hashlib.sha256).hexdigest()


def download_url(blobs: BlobStore, settings: Settings, row: GeneratedAudio) -> str:
    """Where the owner downloads `row`'s audio for `URL_TTL_SECONDS`: a presigned URL when the
    blobs are on S3, a signed platform path (`GET /audio/{id}/file`) otherwise."""
    presign = getattr(blobs, "presign", None)
    if presign is None:
        return signed_path(settings, row.audio_id)
    url: str = presign(row.s3_key, URL_TTL_SECONDS, FORMATS[row.format][2])
    return url


def signed_path(settings: Settings, audio_id: uuid.UUID, now: float | None = None) -> str:
    """A download path valid for `URL_TTL_SECONDS`, signed with the app secret."""
    expires = int((now or time.time()) + URL_TTL_SECONDS)
    return f"/audio/{audio_id}/file?expires={expires}&sig={_signature(settings, audio_id, expires)}"


def check_signature(settings: Settings, audio_id: uuid.UUID, expires: int, sig: str) -> bool:
    """Whether `sig` signs this audio and `expires` is still ahead."""
    if expires < time.time():
        return False
    expected = _signature(settings, audio_id, expires).encode()
    return hmac.compare_digest(expected, sig.encode("utf-8", "surrogatepass"))
