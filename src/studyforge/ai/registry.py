"""Pick each capability's adapter from settings; features get them from `Platform.ai`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from studyforge.ai.embeddings import Embedder
from studyforge.ai.llm import LLM
from studyforge.ai.ocr import OCR
from studyforge.ai.stt import SpeechToText
from studyforge.ai.tts import TTS
from studyforge.config import Settings

OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"


@dataclass
class AIProviders:
    """The providers of one process. Offline models load lazily, on first use."""

    llm: LLM
    embedder: Embedder
    ocr: OCR | None
    stt: SpeechToText | None = None
    tts: TTS | None = None


def _offline_llm(settings: Settings) -> LLM:
    from studyforge.ai.offline.llm import OfflineLLM

    return OfflineLLM()


def _openai_llm(settings: Settings) -> LLM:
    from studyforge.ai.openai_compat import OpenAICompatLLM

    key = settings.openai_api_key or settings.openrouter_api_key or "not-needed"
    base_url = settings.openai_base_url
    if base_url is None and settings.openrouter_api_key and not settings.openai_api_key:
        base_url = OPENROUTER_BASE_URL
    return OpenAICompatLLM(
        api_key=key,
        base_url=base_url,
        model=settings.llm_model,
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        input_cost_per_mtok=settings.llm_input_cost_per_mtok,
        output_cost_per_mtok=settings.llm_output_cost_per_mtok,
    )


def _local_llm(settings: Settings) -> LLM:
    from studyforge.ai.local.gguf import MODELS
    from studyforge.ai.local.llm import LocalLLM

    return LocalLLM(MODELS[settings.local_model], settings.home, threads=settings.local_threads,
                    context=settings.local_context)  # fmt: skip


def _offline_embedder(settings: Settings) -> Embedder:
    from studyforge.ai.offline.embeddings import MiniLMEmbedder

    return MiniLMEmbedder()


def _openai_embedder(settings: Settings) -> Embedder:
    from studyforge.ai.openai_compat import OpenAICompatEmbedder

    return OpenAICompatEmbedder(
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url,
        model=settings.embedding_model,
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
    )


def _offline_ocr(settings: Settings) -> OCR:
    from studyforge.ai.offline.ocr import RapidOCR

    return RapidOCR()


LLMS: dict[str, Callable[[Settings], LLM]] = {
    "offline": _offline_llm,
    "openai": _openai_llm,
    "local": _local_llm,
}
EMBEDDERS: dict[str, Callable[[Settings], Embedder]] = {
    "offline": _offline_embedder,
    "openai": _openai_embedder,
}
OCRS: dict[str, Callable[[Settings], OCR]] = {"offline": _offline_ocr}


def _offline_stt(settings: Settings) -> SpeechToText:
    from studyforge.ai.offline.stt import WhisperSTT

    return WhisperSTT(threads=settings.stt_threads)


def _openai_stt(settings: Settings) -> SpeechToText:
    from studyforge.ai.openai_stt import OpenAICompatSTT

    return OpenAICompatSTT(
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url,
        model=settings.stt_model,
        timeout=settings.stt_timeout_seconds,
        max_retries=settings.llm_max_retries,
    )


STTS: dict[str, Callable[[Settings], SpeechToText]] = {
    "offline": _offline_stt,
    "openai": _openai_stt,
}


def _offline_tts(settings: Settings) -> TTS:
    from studyforge.ai.offline.tts import OfflineTTS

    return OfflineTTS()


def _openai_tts(settings: Settings) -> TTS:
    from studyforge.ai.openai_tts import OpenAICompatTTS

    return OpenAICompatTTS(
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url,
        model=settings.tts_model,
        timeout=settings.tts_timeout_seconds,
        max_retries=settings.llm_max_retries,
    )


TTSS: dict[str, Callable[[Settings], TTS]] = {"offline": _offline_tts, "openai": _openai_tts}


def make_providers(settings: Settings) -> AIProviders:
    """Build the configured adapters (cheap: no model is loaded here)."""
    ocr = OCRS[settings.ocr_provider](settings) if settings.ocr_provider in OCRS else None
    return AIProviders(
        llm=LLMS[settings.llm_backend](settings),
        embedder=EMBEDDERS[settings.embedding_provider](settings),
        ocr=ocr,
        stt=STTS[settings.stt_provider](settings),
        tts=TTSS[settings.tts_provider](settings),
    )
