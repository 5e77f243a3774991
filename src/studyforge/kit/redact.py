"""Redaction of secrets and personal data before anything reaches a log line or a CSV row."""

from __future__ import annotations

import logging
import re
import traceback

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # JWTs and bearer tokens first: they contain dots that look like other things.
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"), "[token]"),
    (re.compile(r"(?i)\bbearer\s+[\w\-.~+/]+=*"), "Bearer [token]"),
    (
        re.compile(
            r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key)(\"?\s*[=:]\s*\"?)[^\s&\"',}]+"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), "[api-key]"),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?i)(://[^:/@\s]+:)[^@\s]+@"), r"\1[redacted]@"),
]

# Phone numbers are recognised by shape alone (digit groups), and ids have digit groups too:
# a UUID such as 7150b4d7-1234-5678-9012-874f2f72ab44 once lost its middle to "[phone]". So the
# phone patterns never look inside an id (a UUID, or a hex digest or id of 16+ characters),
# and a number must stand alone: not joined to letters or digits directly or by a hyphen, dot,
# colon or slash (a job key, a version, a path, a time); a full stop may still end it.
_IDS = re.compile(
    r"(?i)(?<![0-9a-f])[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}(?![0-9a-f])"
    r"|(?<!\w)[0-9a-f]{16,}(?!\w)"
)
_ALONE_BEFORE = r"(?<!\w)(?<!\w[.:/-])"
_ALONE_AFTER = r"(?![\w]|[.:/-]\w)"
_PHONES: list[re.Pattern[str]] = [
    re.compile(
        _ALONE_BEFORE + r"\+?\d{1,3}[ -]?\(?\d{2,4}\)?[ -]\d{3,4}[ -]?\d{3,4}" + _ALONE_AFTER
    ),
    re.compile(_ALONE_BEFORE + r"\+\d{10,14}" + _ALONE_AFTER),
]


def _redact_phones(text: str) -> str:
    for pattern in _PHONES:
        text = pattern.sub("[phone]", text)
    return text


def redact(text: str) -> str:
    """Replace emails, phone numbers, tokens, API keys and passwords; ids stay as they are."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    parts: list[str] = []
    end = 0
    for match in _IDS.finditer(text):
        parts.append(_redact_phones(text[end : match.start()]))
        parts.append(match.group())
        end = match.end()
    parts.append(_redact_phones(text[end:]))
    return "".join(parts)


_installed = False


def install_redaction() -> None:
    """Redact every log record as it is created, before any handler or formatter sees it."""
    global _installed
    if _installed:
        return
    base_factory = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = base_factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatters reuse exc_text, so the traceback is redacted once, here.
            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = redact(text.rstrip("\n"))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def configure_logging(level: str = "INFO") -> None:
    """Single-line logs on stderr; every record redacted (see `install_redaction`)."""
    install_redaction()
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.handlers = [stream]
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "pika", "kombu"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
