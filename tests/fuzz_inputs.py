"""Generated hostile scripts for the fuzz test (tests/test_fuzz.py) and the long run (bench/fuzz.py).

Five generators, each `(rng) -> text`: mutation (characters edited in a real scene), splice
(lines of several scenes mixed), grammar-aware (statements built from the language's forms),
numeric-extreme (every number replaced by an extreme one) and injection (control characters,
escapes, keywords of Python, long paths). A generator draws only from the rng it is given, so
a failing input is reproduced by its generator and seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

SCENES = Path(__file__).resolve().parent.parent / "scenes"
CORPUS = [p.read_text(encoding="utf-8") for p in sorted(SCENES.glob("*.ride"))]

EXTREME_NUMBERS = (
    "0", "-0", "1e309", "9" * 320, "1e-320", "1e308", "-1e308", "4294967296", "18446744073709551616",
    "0.0000000001", "1" + "0" * 5000, "2147483648", "999999", "1000001", "nan", "inf", ".5", "5.", "1e",
)
INJECTIONS = (
    "\x00", "\x1b[31m", "\x1b]0;title\x07", "\f", "\v", "\r", "\u2028", "\ufeff", "\u202e", "\t",
    "lambda", "None", "True", "False", "__import__", "import", "os.system", "eval", "exec", "class",
    "../" * 40, "a" * 300, "/etc/passwd", "~", "$HOME", "%s%n", "{0}", "\\", "\"", "'", "`", "#",
    "\U0001F600", "e\u0301", "\u0000end",
)
STATEMENT_FORMS = (
    'title "{s}"', "size {i}x{i}", "fps {n}", "bpm {n}", "seed {n}", "seed {n} iter", "seed random",
    "steps {n}", "guidance {e}", "strength {e}", "noise {e}", "cadence {n}", "adapter_scale {e}",
    'model "{s}"', 'negative "{s}"', 'init "{s}"', 'output "{s}"', 'audio "{s}"', "engine {w}",
    "color match {w} {w} {n}", "border {w}", "scheduler {w}", "loop close {t} {tr}", "loop pingpong",
    'adapter "{s}"', "reverse", "let {w} = {e}", "track {w} {{ {t} {e} {tr}; {t} {e} }}",
    "camera {{ zoom {e}; pan {e}, {e}; rotate {e}; focus {e}, {e} }}", "{w} {e}",
)
TIMELINE_FORMS = (
    '{t} "{s}"', '{t} "{s}" morph {t} {w} {tr}', '{t} image "{s}"', '{t} "{s}" * {n} + "{s}" * {n}',
    '{t} "{s}" negative "{s}"', "{t} end", '+{t} "{s}"',
)
WORDS = ("t", "u", "sec", "beat", "n", "fps", "pi", "zoom", "seed", "lerp", "slerp", "frame0", "lab", "match",
         "reflect", "euler", "preview", "diffusers", "x", "a1", "close", "ease", "hold", "in_out")
TRANSITIONS = ("", "linear", "hold", "cubic", "ease", "ease in", "ease out", "bezier(0.1, 0.2, 0.3, 0.4)",
               "bezier(2, 0, -1, 1)")
TIME_SUFFIXES = ("", "", "s", "b", "%", "f")


def mutation(rng: random.Random) -> str:
    text = list(rng.choice(CORPUS))
    for _ in range(rng.randint(1, 12)):
        i = rng.randrange(len(text))
        action = rng.random()
        if action < 0.4:
            del text[i:i + rng.randint(1, 8)]
        elif action < 0.7:
            text.insert(i, rng.choice("{}()\"'#;,.*+-/%<>=&|~0123456789eabz \n\t"))
        else:
            text[i] = chr(rng.randrange(32, 127))
    return "".join(text)


def splice(rng: random.Random) -> str:
    lines = [line for text in rng.sample(CORPUS, 2) for line in text.splitlines()]
    rng.shuffle(lines)
    return "\n".join(lines[: rng.randint(1, len(lines))])


def _expression(rng: random.Random, depth: int = 0) -> str:
    if depth > 3 or rng.random() < 0.3:
        return rng.choice([str(rng.choice((0, 1, 2, 0.5, 1.01, 100))), rng.choice(WORDS), rng.choice(EXTREME_NUMBERS)])
    form = rng.random()
    a, b = _expression(rng, depth + 1), _expression(rng, depth + 1)
    if form < 0.5:
        return f"{a} {rng.choice(('+', '-', '*', '/', '%', '**', '<', '>=', '==', '&', '|'))} {b}"
    if form < 0.7:
        return f"{rng.choice(('sin', 'cos', 'exp', 'log', 'sqrt', 'frac', 'abs', 'floor'))}({a})"
    if form < 0.8:
        return f"where({a}, {b}, {_expression(rng, depth + 1)})"
    if form < 0.9:
        return f"({a})"
    return f"-{a}"


def _fill(form: str, rng: random.Random) -> str:
    return form.format(
        s=rng.choice(("a road", "x.png", "frames/", "out.mp4", "../up.png", "", "a" * rng.randint(1, 50))),
        i=rng.choice(("512", "64", "8", "7", "0", "8193", "99999999999")),
        n=rng.choice(("1", "12", "0", "2", "24", "1000", rng.choice(EXTREME_NUMBERS))),
        e=_expression(rng), w=rng.choice(WORDS), tr=rng.choice(TRANSITIONS),
        t=rng.choice(("0", "10", "24", "2", "100", "1.5", rng.choice(EXTREME_NUMBERS))) + rng.choice(TIME_SUFFIXES),
    )


def grammar_aware(rng: random.Random) -> str:
    lines = [_fill(rng.choice(STATEMENT_FORMS), rng) for _ in range(rng.randint(0, 8))]
    keys = [_fill(rng.choice(TIMELINE_FORMS), rng) for _ in range(rng.randint(0, 5))]
    if rng.random() < 0.8:
        keys.insert(0, '0 "a start"')
        keys.append(f"{rng.choice(('12', '48', '2', '1', '200'))} end")
    lines.insert(rng.randint(0, len(lines)), "timeline {\n  " + "\n  ".join(keys) + "\n}")
    return "\n".join(lines)


def numeric_extreme(rng: random.Random) -> str:
    text = rng.choice(CORPUS) if rng.random() < 0.5 else grammar_aware(rng)
    numbers = list(re.finditer(r"\d+(\.\d+)?", text))
    for match in reversed(rng.sample(numbers, min(len(numbers), rng.randint(1, 4)))):
        text = text[: match.start()] + rng.choice(EXTREME_NUMBERS) + text[match.end():]
    return text


def injection(rng: random.Random) -> str:
    text = rng.choice(CORPUS) if rng.random() < 0.5 else grammar_aware(rng)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(text) + 1)
        text = text[:i] + rng.choice(INJECTIONS) + text[i:]
    if rng.random() < 0.3:
        text += f'\nlet {rng.choice(("lambda", "None", "True", "if", "t", "pi"))} = 0.2\n'
    return text


GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "mutation": mutation, "splice": splice, "grammar": grammar_aware, "numeric": numeric_extreme,
    "injection": injection,
}


def generate(name: str, seed: int) -> str:
    return GENERATORS[name](random.Random(f"{name}:{seed}"))
