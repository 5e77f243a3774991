"""The project's own provider errors; adapters raise only these.

Retryable ones also derive from `TransientError`, so the job runner retries them with backoff.
"""

from __future__ import annotations

from studyforge.errors import TransientError


class ProviderError(Exception):
    """An AI provider could not produce a usable answer."""

    code = "PROVIDER_ERROR"


class ProviderAuthError(ProviderError):
    """The provider rejected the credentials (401/403): retrying will not help."""

    code = "PROVIDER_AUTH"


class InvalidOutput(ProviderError):
    """The model's output did not match the schema, even after the corrective retry."""

    code = "PROVIDER_INVALID_OUTPUT"


class RateLimited(ProviderError, TransientError):
    """429 from the provider after the adapter's own retries."""

    code = "PROVIDER_RATE_LIMITED"


class ProviderUnavailable(ProviderError, TransientError):
    """5xx or a connection failure after the adapter's own retries."""

    code = "PROVIDER_UNAVAILABLE"


class ProviderTimeout(ProviderError, TransientError):
    """The provider did not answer within the configured timeout."""

    code = "PROVIDER_TIMEOUT"


class ModelFileMismatch(ProviderError):
    """An offline model file's sha256 differs from the recorded one: refuse to load it."""

    code = "MODEL_CHECKSUM_MISMATCH"
