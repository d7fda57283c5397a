"""Tesseract (through pytesseract) on the parts of a check where people and printers write:
words with their boxes and confidences, in reading order."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytesseract

from tenant_apps.checks.reading.images import GreyImage

# Tesseract's own limit on a single run; past it the check is left for a person.
OCR_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0 to 1
    left: int
    top: int
    width: int
    height: int

    @property
    def middle_y(self) -> float:
        return self.top + self.height / 2


class OcrUnavailableError(RuntimeError):
    """Tesseract is not installed or did not answer in time."""


def words_read(image: GreyImage, *, config: str) -> list[Word]:
    # Tesseract's OpenMP threads make each run slower, not faster, when checks are read side by
    # side (a worker per core): one thread a run, as Tesseract's own advice for batch work.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        data = pytesseract.image_to_data(
            image, config=config, output_type=pytesseract.Output.DICT, timeout=OCR_TIMEOUT_SECONDS
        )
    except (pytesseract.TesseractNotFoundError, RuntimeError) as error:
        raise OcrUnavailableError(str(error)) from error
    words = []
    for index, raw in enumerate(data["text"]):
        # What is left of a rule under or beside a word ('_In', 'In_memory') is not part of it.
        text = raw.replace("_", " ").strip().strip("|~—").strip()
        if not text:
            continue
        words.append(
            Word(
                text=text,
                confidence=max(0.0, float(data["conf"][index])) / 100,
                left=int(data["left"][index]),
                top=int(data["top"][index]),
                width=int(data["width"][index]),
                height=int(data["height"][index]),
            )
        )
    return words


def lines_group(words: list[Word]) -> list[list[Word]]:
    """Words into lines by their vertical middles, each line left to right, lines top down."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda word: word.middle_y):
        if lines:
            line = lines[-1]
            height = max(item.height for item in line)
            middle = sum(item.middle_y for item in line) / len(line)
            if abs(word.middle_y - middle) < 0.5 * max(height, word.height):
                line.append(word)
                continue
        lines.append([word])
    return [sorted(line, key=lambda word: word.left) for line in lines]


def line_text(line: list[Word]) -> str:
    return " ".join(word.text for word in line)


def mean_confidence(words: list[Word]) -> float:
    return sum(word.confidence for word in words) / len(words) if words else 0.0
