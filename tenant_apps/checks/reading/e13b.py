"""The E-13B magnetic ink font of the MICR line (ANSI X9.100-160), as geometry.

Every E-13B character is built on a grid of 0.013 inch squares: it is 9 squares high
(0.117 in), at most 7 wide (0.091 in), and characters sit on a pitch of 0.125 in. Each glyph
below is that grid, row by row from the top, `#` for ink. The same data draws the line (the test
generator) and reads it (template correlation), so the two can never drift apart. Tesseract has
no model for this font, which is why it is read here by matching the 14 shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt

GRID_INCH = 0.013
CHARACTER_HEIGHT_UNITS = 9
CHARACTER_PITCH_INCH = 0.125
# Templates are compared in cells wider than the widest glyph, so that a narrow glyph (the 1)
# cannot match inside a wide one (the 0): the blank margin has to be blank too.
CELL_WIDTH_UNITS = 9


class Symbol(StrEnum):
    """The four E-13B control symbols, written as the letters banks' MICR text formats use."""

    TRANSIT = "T"  # brackets the routing number
    AMOUNT = "A"  # brackets the amount, encoded by the bank of first deposit
    ON_US = "U"  # ends the account number (on-us field); brackets the auxiliary on-us field
    DASH = "D"  # separates parts of an account number


GLYPH_ROWS: dict[str, tuple[str, ...]] = {
    "0": (
        "######",
        "##..##",
        "##..##",
        "##..##",
        "##..##",
        "##..##",
        "##..##",
        "##..##",
        "######",
    ),
    "1": (
        "###.",
        ".##.",
        ".##.",
        ".##.",
        ".##.",
        ".##.",
        "####",
        "####",
        "####",
    ),
    "2": (
        "#####",
        "...##",
        "...##",
        "...##",
        "#####",
        "##...",
        "##...",
        "#####",
        "#####",
    ),
    "3": (
        "#####.",
        "...##.",
        "...##.",
        "..###.",
        "..####",
        "...###",
        "...###",
        "...###",
        "######",
    ),
    "4": (
        "##.....",
        "##.....",
        "##..##.",
        "##..##.",
        "#######",
        "#######",
        "....##.",
        "....##.",
        "....##.",
    ),
    "5": (
        "######",
        "##....",
        "##....",
        "#####.",
        "....##",
        "....##",
        "...###",
        "...###",
        "######",
    ),
    "6": (
        "##....",
        "##....",
        "##....",
        "######",
        "##..##",
        "##..##",
        "###.##",
        "###.##",
        "######",
    ),
    "7": (
        "######",
        "....##",
        "....##",
        "...##.",
        "...##.",
        "..###.",
        "..###.",
        "..###.",
        "..###.",
    ),
    "8": (
        ".####.",
        ".#..#.",
        ".#..#.",
        "######",
        "##..##",
        "##..##",
        "##..##",
        "##..##",
        "######",
    ),
    "9": (
        "######",
        "##..##",
        "##..##",
        "######",
        "....##",
        "....##",
        "...###",
        "...###",
        "...###",
    ),
    Symbol.TRANSIT: (
        "##.....",
        "##..###",
        "##..###",
        "##.....",
        "##.....",
        "##.....",
        "##..###",
        "##..###",
        "##.....",
    ),
    Symbol.AMOUNT: (
        "##.....",
        "##.##..",
        "##.##..",
        "##...##",
        "##...##",
        "##...##",
        ".....##",
        "...####",
        "...####",
    ),
    Symbol.ON_US: (
        "##.##..",
        "##.##..",
        "##.##..",
        "##.##..",
        "##.##..",
        ".......",
        "#######",
        "#######",
        ".......",
    ),
    Symbol.DASH: (
        ".......",
        ".......",
        ".......",
        "##.##.#",
        "##.##.#",
        "##.##.#",
        ".......",
        ".......",
        ".......",
    ),
}

CHARACTERS: tuple[str, ...] = tuple(GLYPH_ROWS)


@dataclass(frozen=True)
class Glyph:
    character: str
    width_units: int
    cells: npt.NDArray[np.uint8]  # 1 for ink, CHARACTER_HEIGHT_UNITS rows by width_units


def glyph(character: str) -> Glyph:
    rows = GLYPH_ROWS[character]
    cells = np.array([[1 if cell == "#" else 0 for cell in row] for row in rows], dtype=np.uint8)
    return Glyph(character=character, width_units=cells.shape[1], cells=cells)


def _check_geometry() -> None:
    for character, rows in GLYPH_ROWS.items():
        if len(rows) != CHARACTER_HEIGHT_UNITS or len({len(row) for row in rows}) != 1:
            raise ValueError(f"E-13B glyph {character!r} is not on its 9-row grid")
        if len(rows[0]) > CELL_WIDTH_UNITS - 2:
            raise ValueError(f"E-13B glyph {character!r} is wider than 7 grid squares")


_check_geometry()


def glyph_cell_mask(character: str, *, unit_pixels: float) -> npt.NDArray[np.uint8]:
    """The glyph centred in its comparison cell, at `unit_pixels` pixels a grid square, as an
    8-bit image with 255 for ink (area-averaged, so fractional squares come out grey)."""
    return _cell_mask(character, round(unit_pixels * 100))


@cache
def _cell_mask(character: str, unit_hundredths: int) -> npt.NDArray[np.uint8]:
    unit = unit_hundredths / 100
    shape = glyph(character)
    supersample = 8
    cell = np.zeros(
        (CHARACTER_HEIGHT_UNITS * supersample, CELL_WIDTH_UNITS * supersample), dtype=np.uint8
    )
    left = (CELL_WIDTH_UNITS - shape.width_units) * supersample // 2
    ink = np.kron(shape.cells, np.ones((supersample, supersample), dtype=np.uint8)) * 255
    cell[:, left : left + ink.shape[1]] = ink
    width = max(1, round(CELL_WIDTH_UNITS * unit))
    height = max(1, round(CHARACTER_HEIGHT_UNITS * unit))
    resized = np.asarray(
        cv2.resize(cell, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    resized.flags.writeable = False
    return resized


def glyph_mask(character: str, *, unit_pixels: float) -> npt.NDArray[np.uint8]:
    """The glyph alone (no cell margin), for drawing: 255 for ink."""
    shape = glyph(character)
    supersample = 8
    ink = np.kron(shape.cells, np.ones((supersample, supersample), dtype=np.uint8)) * 255
    width = max(1, round(shape.width_units * unit_pixels))
    height = max(1, round(CHARACTER_HEIGHT_UNITS * unit_pixels))
    return np.asarray(
        cv2.resize(ink, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
