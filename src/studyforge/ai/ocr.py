"""The OCR capability: an image -> its text."""

from __future__ import annotations

from typing import Protocol


class OCR(Protocol):
    """Reads the text in an image (PNG/JPEG bytes), top to bottom, lines joined by newlines."""

    name: str

    def extract_text(self, image: bytes) -> str:
        """The text of the image, empty when there is none."""
        ...
