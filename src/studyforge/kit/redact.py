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
    (
        re.compile(r"(?<![\w.:])\+?\d{1,3}[ -]?\(?\d{2,4}\)?[ -]\d{3,4}[ -]?\d{3,4}(?![\w.])"),
        "[phone]",
    ),
    (re.compile(r"\+\d{10,14}\b"), "[phone]"),
    (re.compile(r"(?i)(://[^:/@\s]+:)[^@\s]+@"), r"\1[redacted]@"),
]


def redact(text: str) -> str:
    """Replace emails, phone numbers, tokens, API keys and passwords with placeholders."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


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
