"""AI capabilities behind small Protocols (LLM, embeddings, OCR), chosen by settings.

Features import `studyforge.ai` types and get providers from `Platform.ai`; they never import an
SDK. Adapters translate SDK errors into the `ProviderError` family below.
"""

from studyforge.ai.errors import (
    InvalidOutput,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from studyforge.ai.llm import LLM, Generation, Task, Usage

__all__ = [
    "LLM",
    "Generation",
    "InvalidOutput",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "Task",
    "Usage",
]
