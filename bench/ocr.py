"""How well and how fast scanned checks are read, over a generated corpus whose every field is
known.

    make bench-ocr    (or: .venv/bin/python bench/ocr.py [--count 300] [--first-seed 1000])
    .venv/bin/python bench/ocr.py --flatbed [--count 60]

With --flatbed the checks are laid three to a letter page on a flatbed (scaled to its 200 dpi),
the pages saved as one PDF, and read as an upload is: each page drawn by PDFium, its checks
found and cropped (reading/pages.py), then read; a check not found counts as wrong for every
field, and the time is per check found, the finding and cropping included.

Each check is drawn by the tests' generator (tenant_apps/checks/tests/check_images.py: layouts,
fonts, noise, blur, skew up to 5 degrees, 200 and 300 dpi, PNG or JPEG) and read by
`check_read` from its bytes, as an upload would be. Per field it prints the share read exactly
right, the share flagged for review, and the share read wrong without a flag (the one that
matters: a wrong value nobody is asked to look at). Only the reading is timed, not the drawing.
No database: the reading library has none.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tenant_apps.checks.reading.fields import CheckReading, FieldReading  # noqa: E402
from tenant_apps.checks.reading.pages import (  # noqa: E402
    checks_find,
    crop_png,
    pages_read,
)
from tenant_apps.checks.reading.reader import check_read  # noqa: E402
from tenant_apps.checks.tests.check_images import (  # noqa: E402
    CheckTruth,
    GeneratedCheck,
    check_generate,
    checks_pdf,
    flatbed_page,
)

CHECKS_PER_PAGE = 3

FIELDS: dict[
    str, tuple[Callable[[CheckReading], FieldReading[Any]], Callable[[CheckTruth], Any]]
] = {
    "MICR routing number": (lambda r: r.micr.routing_number, lambda t: t.routing_number),
    "MICR account number": (lambda r: r.micr.account_number, lambda t: t.account_number),
    "MICR check number": (lambda r: r.micr.check_number, lambda t: t.check_number),
    "courtesy amount (figures)": (lambda r: r.courtesy_amount, lambda t: t.amount),
    "legal amount (words)": (lambda r: r.legal_amount, lambda t: t.amount),
    "amount (cross-checked)": (lambda r: r.amount, lambda t: t.amount),
    "date": (lambda r: r.check_date, lambda t: t.check_date),
    "payer name": (lambda r: r.payer_name, lambda t: t.payer_name),
    "payer address": (lambda r: r.payer_address, lambda t: ", ".join(t.payer_address)),
    "memo": (lambda r: r.memo, lambda t: t.memo or None),
}


@dataclass
class Tally:
    right: int = 0
    flagged: int = 0
    right_unflagged: int = 0
    wrong_unflagged: int = 0
    wrong_unflagged_seeds: list[int] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=300, help="checks in the corpus (300)")
    parser.add_argument("--first-seed", type=int, default=1000, help="seed of the first check")
    parser.add_argument(
        "--flatbed", action="store_true", help="three checks a page, in one PDF, found and cropped"
    )
    arguments = parser.parse_args()
    if arguments.flatbed:
        flatbed(arguments.count, arguments.first_seed)
        return

    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    tallies = {name: Tally() for name in FIELDS}
    seconds: list[float] = []
    errors = 0
    for seed in range(arguments.first_seed, arguments.first_seed + arguments.count):
        generated = check_generate(seed)
        started = time.perf_counter()
        reading = check_read(generated.image_bytes)
        seconds.append(time.perf_counter() - started)
        errors += reading.error is not None
        done = seed - arguments.first_seed + 1
        if done % 50 == 0:
            print(f"  {done} checks read", file=sys.stderr, flush=True)
        for name, (read, truth_of) in FIELDS.items():
            value = read(reading)
            tally = tallies[name]
            right = value.value == truth_of(generated.truth)
            tally.right += right
            tally.flagged += value.flagged
            tally.right_unflagged += right and not value.flagged
            if not right and not value.flagged:
                tally.wrong_unflagged += 1
                tally.wrong_unflagged_seeds.append(seed)
    count = arguments.count

    def share(number: int) -> str:
        return f"{100 * number / count:5.1f}%"

    print(f"\n{count} checks (seeds {arguments.first_seed}..{arguments.first_seed + count - 1})")
    print(f"{'field':28} {'right':>7} {'flagged':>8} {'right, no flag':>15} {'wrong, no flag':>15}")
    for name, tally in tallies.items():
        print(
            f"{name:28} {share(tally.right):>7} {share(tally.flagged):>8} "
            f"{share(tally.right_unflagged):>15} {share(tally.wrong_unflagged):>15}"
            + (f"   seeds {tally.wrong_unflagged_seeds[:8]}" if tally.wrong_unflagged_seeds else "")
        )
    print(f"checks read with an error: {errors}")
    ordered = sorted(seconds)
    print(
        f"seconds per check: mean {statistics.fmean(seconds):.2f}, median "
        f"{statistics.median(seconds):.2f}, p95 {ordered[int(0.95 * (len(ordered) - 1))]:.2f}, "
        f"max {ordered[-1]:.2f}"
    )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


def flatbed(count: int, first_seed: int) -> None:
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    generated = [check_generate(seed) for seed in range(first_seed, first_seed + count)]
    pages = [
        generated[start : start + CHECKS_PER_PAGE] for start in range(0, count, CHECKS_PER_PAGE)
    ]
    pdf = checks_pdf([flatbed_page(page) for page in pages])
    tallies = {name: Tally() for name in FIELDS}
    found = 0
    started = time.perf_counter()
    readings: list[tuple[GeneratedCheck, CheckReading | None]] = []
    for page_checks, page in zip(pages, pages_read(pdf, "pdf"), strict=True):
        crops = checks_find(page)
        found += min(len(crops), len(page_checks))
        read = [check_read(crop_png(page, crop)) for crop in crops]
        for index, check in enumerate(page_checks):
            readings.append((check, read[index] if index < len(read) else None))
    elapsed = time.perf_counter() - started
    for check, reading in readings:
        for name, (read_field, truth_of) in FIELDS.items():
            tally = tallies[name]
            value = read_field(reading) if reading is not None else None
            right = value is not None and value.value == truth_of(check.truth)
            flagged = value is None or value.flagged
            tally.right += right
            tally.flagged += flagged
            tally.right_unflagged += right and not flagged
            if not right and not flagged:
                tally.wrong_unflagged += 1
                tally.wrong_unflagged_seeds.append(check.seed)

    def share(number: int) -> str:
        return f"{100 * number / count:5.1f}%"

    print(f"\n{count} checks on {len(pages)} flatbed pages in one PDF of {len(pdf) / 1e6:.1f} MB")
    print(f"checks found and cropped: {found} of {count}")
    print(f"{'field':28} {'right':>7} {'flagged':>8} {'right, no flag':>15} {'wrong, no flag':>15}")
    for name, tally in tallies.items():
        print(
            f"{name:28} {share(tally.right):>7} {share(tally.flagged):>8} "
            f"{share(tally.right_unflagged):>15} {share(tally.wrong_unflagged):>15}"
            + (f"   seeds {tally.wrong_unflagged_seeds[:8]}" if tally.wrong_unflagged_seeds else "")
        )
    print(
        f"seconds per check, pages drawn and checks found included: {elapsed / max(1, found):.2f}"
    )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
