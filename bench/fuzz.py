"""Fuzz the compiler: N generated hostile scripts, counted by outcome and exception type.

    python bench/fuzz.py --count 100000            # the issue's run: the goal is 0 'bug' rows
    python bench/fuzz.py --count 2000 --show 3      # quick, printing 3 inputs per bug type
    python bench/fuzz.py --count 50000 --offset 50000   # the second half of the run, in parallel

Each input is compiled as `ride check` would (in a folder holding an image and an audio file
the scripts may name), then its plan is used as the renderer and `ride plan` use it: keys,
the first frames, JSON. Outcomes: ok, ride error (a positioned RideError: the right answer
for bad input), or bug (any other exception, a warning leaking to stderr, a timeout).
Memory is capped (RLIMIT_AS) so a runaway input fails with MemoryError instead of swapping.
"""

from __future__ import annotations

import argparse
import collections
import resource
import signal
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz_inputs import GENERATORS, generate  # noqa: E402

import ride  # noqa: E402
from ride.errors import RideError  # noqa: E402


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def exercise(text: str, folder: Path) -> None:
    """What `ride check`, `ride plan` and the start of a render do with a script."""
    plan = ride.compile_text(text, str(folder / "scene.ride"))
    plan.keys()
    for frame in plan.frames(0, 3):
        frame.to_json()
    plan.to_json(0, 2)


def run(count: int, seconds: float, memory_gb: float, show: int, offset: int = 0) -> dict:
    resource.setrlimit(resource.RLIMIT_AS, (int(memory_gb * 2**30), resource.RLIM_INFINITY))
    signal.signal(signal.SIGALRM, _alarm)
    outcomes: collections.Counter = collections.Counter()
    bugs: dict[str, list[tuple[str, int, str]]] = collections.defaultdict(list)
    names = list(GENERATORS)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ride-fuzz-") as tmp:
        folder = Path(tmp)
        (folder / "x.png").write_bytes(_tiny_png())
        for i in range(offset, offset + count):
            name = names[i % len(names)]
            seed = i // len(names)
            text = generate(name, seed)
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    exercise(text, folder)
                outcome = "ok" if not caught else f"bug: {caught[0].category.__name__} leaked"
            except RideError:
                outcome = "ride error"
            except Timeout:
                outcome = "bug: Timeout"
            except (Exception, RecursionError) as error:  # the point of the run: anything else is a bug
                outcome = f"bug: {type(error).__name__}"
                detail = str(error)[:120]
                bugs[outcome].append((name, seed, detail))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            outcomes[outcome] += 1
            if outcome.startswith("bug") and outcome not in bugs:
                bugs[outcome].append((name, seed, ""))
    elapsed = time.perf_counter() - began
    print(f"{count} inputs in {elapsed:.0f} s ({count / elapsed:.0f}/s)")
    for outcome, n in outcomes.most_common():
        print(f"  {n:>7}  {outcome}")
    for outcome, samples in bugs.items():
        print(f"{outcome}: {len(samples)} (generator, seed, message):")
        for sample in samples[:show]:
            print(f"    {sample}")
    return dict(outcomes)


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per input")
    parser.add_argument("--memory", type=float, default=4.0, help="GiB of address space")
    parser.add_argument("--show", type=int, default=3, help="inputs printed per bug type")
    parser.add_argument("--offset", type=int, default=0,
                        help="first input's number: shards of one run in parallel (0 and 50000, each --count 50000)")
    args = parser.parse_args()
    outcomes = run(args.count, args.timeout, args.memory, args.show, args.offset)
    return 1 if any(k.startswith("bug") for k in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
