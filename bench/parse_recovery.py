"""Syntax recovery cost: a ~1.4 MB script with 25 bad lines spread through it.

Prints the seconds `parse` takes to report every syntax error of the file, how many it found,
and the seconds a clean parse of the same file (its bad lines removed) takes, for reference.
Recovery goes past each bad line inside one parse, so the cost grows with the file, not with
file x errors. Run: python bench/parse_recovery.py

Figures on the 2-core dev machine (shared with other jobs, so they vary by +-40%):
  before (blank each bad line, re-parse the file; stopped at 20 errors):  20 errors in 109-187 s
  after (one recovering parse, nodes built too):  25 errors in 25-47 s; a clean parse of the
  same file in the same runs 26-35 s. Recovery costs about one clean parse (the driver's own
  share is ~3% of a parse, by profile); the old way cost one parse per bad line.
"""

from __future__ import annotations

import time

from ride.errors import RideSyntaxError
from ride.language.syntax import parse

BAD_LINES = 25
TARGET_BYTES = 1_400_000
BAD = ["  strength = 0.4", "  zoom 1.0 1.1", "  guidance", "  pan (0, 1", "  rotate 0.1 ]"]


def scene() -> str:
    """Camera blocks of good settings, with a bad line every so often, then a timeline."""
    block = ["camera {", "  zoom 1.01 + 0.002*sin(t/12)", "  pan 0.5, 0.2*cos(sec)",
             "  rotate 0.1*sin(beat/4)", "  focus 0.5, 0.6", "}"]
    blocks = TARGET_BYTES // len("\n".join(block))
    every = blocks // BAD_LINES
    lines = ["fps 24", "size 512x512"]
    for i in range(blocks):
        lines += block
        if i % every == every // 2 and (i // every) < BAD_LINES:
            lines.insert(len(lines) - 1, BAD[(i // every) % len(BAD)])
    lines += ["timeline {", '  0 "a road"', "  48 end", "}"]
    return "\n".join(lines) + "\n"


def timed_parse(text: str) -> tuple[float, int]:
    """Seconds to parse `text` and the number of syntax errors reported."""
    began = time.perf_counter()
    try:
        parse(text, "big.ride")
        found = 0
    except RideSyntaxError as error:
        found = len(error.problems)
    return time.perf_counter() - began, found


def main() -> None:
    text = scene()
    clean = "\n".join(line for line in text.split("\n") if line not in BAD)
    clean_seconds, _ = timed_parse(clean)
    seconds, found = timed_parse(text)
    print(f"{len(text) / 1e6:.2f} MB, {BAD_LINES} bad lines: {found} syntax errors reported in {seconds:.2f} s "
          f"(the same file without its bad lines parses in {clean_seconds:.2f} s)")


if __name__ == "__main__":
    main()
