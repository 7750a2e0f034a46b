"""Script -> Plan. Every problem of the file is reported to one Diagnostics and raised together.

The steps, each a function of what the earlier ones returned: 1. gather statements by what
they set; 2. scene constants (fps, bpm, size), and the music if the scene reads it (music.py:
`bpm auto`, `level`...); 3. the timeline's length; 4. `let` names;
5. every numeric setting over all frames; 6. conditioning per frame; 7. loop closure, seeds,
cadence; 8. the scene's Settings and the Plan.

Files are read only through the injected Reader, and music analysed only by the injected Analyzer;
nothing of any engine is imported (an engine checks its own options, e.g. scheduler names, in
`ride.engines.check_engine_options`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import ANALYZER
from ..errors import Diagnostics, RideCompileError, RideSyntaxError, Span
from ..language import nodes as n
from ..language.syntax import parse
from ..plan import CAMERA_COLUMNS, Plan, Settings, compact
from ..settings import BY_NAME, NUMERIC, Setting
from .curves import Compiled, CurveKey, check_transition, compile_expr, ease, evaluate_keys, key_ranges
from .environment import TimeEnvironment
from .expressions import NO_FINITE_VALUE, NO_FINITE_VALUE_HINT
from .motion import check_composed_motion, check_flat_wall
from .music import Analyzer, Music, frame_curves, is_auto, read_music
from .overrides import SettingOverride, apply_overrides, relabel
from .reader import FILES, Reader
from .scene import Folder, scene_settings, setting_spans
from .statements import Statements, gather
from .timeline import close_loop, conditioning_per_frame, resolve_keys, scene_length
from .timing import Clock

MAX_FRAMES = 1_000_000
SEED_MODULUS = 2**32


@dataclass(frozen=True)
class Overrides:
    """Settings the command line puts over the script's (`--size`, `--fps`, `--set`)."""

    width: int | None = None
    height: int | None = None
    fps: float | None = None
    settings: tuple[SettingOverride, ...] = ()  # `--set NAME=VALUE`, applied after the script's statements


def load(path: str | Path, random_seed: int | None = None, overrides: Overrides | None = None,
         reader: Reader = FILES, analyzer: Analyzer = ANALYZER) -> Plan:
    """Read, parse and compile a .ride file."""
    try:
        text = reader.read_text(Path(path))
    except (OSError, UnicodeDecodeError) as error:
        diagnostics = Diagnostics(str(path))
        diagnostics.error("R501", f"cannot read {path}: {getattr(error, 'strerror', None) or error}")
        diagnostics.raise_if_any()
    return compile_text(text, str(path), random_seed=random_seed, overrides=overrides, reader=reader,
                        analyzer=analyzer)


def compile_text(text: str, path: str = "<script>", random_seed: int | None = None,
                 overrides: Overrides | None = None, reader: Reader = FILES, analyzer: Analyzer = ANALYZER) -> Plan:
    """Parse and compile; every problem of the file (syntax and meaning) raised at once, by line."""
    # Syntax problems don't stop the check: the recovered script (bad statements dropped) is
    # compiled too, so every mistake of the file shows in one run, in line order.
    diagnostics = Diagnostics(path, text)
    script = parse(text, path, diagnostics)
    plan = None
    if script is not None:
        plan = compile_script(script, diagnostics, path, random_seed, overrides, reader, analyzer)
    syntax = any(p.code.startswith("R1") for p in diagnostics.problems)
    diagnostics.raise_if_any(RideSyntaxError if syntax else RideCompileError)
    return plan


def compile_script(script: n.Script, diagnostics: Diagnostics, path: str = "<script>",
                   random_seed: int | None = None, overrides: Overrides | None = None,
                   reader: Reader = FILES, analyzer: Analyzer = ANALYZER) -> Plan:
    """The Plan of a parsed script; its problems go to `diagnostics` (an empty plan if there are any)."""
    # inf and nan from a script's numbers are range errors of their setting (every column is
    # checked for them), never numpy warnings printed with ride's own source lines
    with np.errstate(all="ignore"):
        settings = overrides.settings if overrides is not None else ()
        # an override's statement is parsed on lines past the script's end: its problems are the flag's
        first_line = max(diagnostics.source.count("\n"), script.span.end_line) + 2
        try:
            return _compile(script, diagnostics, path, random_seed, overrides, reader, analyzer, first_line)
        finally:
            if settings:
                diagnostics.problems[:] = relabel(diagnostics.problems, settings, first_line)


def _compile(script: n.Script, diagnostics: Diagnostics, path: str, random_seed: int | None,
             overrides: Overrides | None, reader: Reader, analyzer: Analyzer, first_line: int) -> Plan:
    overrides = overrides or Overrides()
    base = Path(path).resolve().parent if path != "<script>" else Path.cwd()
    g = gather(script, diagnostics)
    apply_overrides(g, overrides.settings, first_line, path, diagnostics)  # 1b. the command line's --set
    FPS, BPM = BY_NAME["fps"], BY_NAME["bpm"]
    fps = overrides.fps or _constant(g, diagnostics, "fps", FPS.default)
    music = read_music(script, g, base, reader, analyzer, diagnostics)
    bpm = music.beats.tempo if music.beats else BPM.default if is_auto(g) else \
        _constant(g, diagnostics, "bpm", BPM.default)
    if not FPS.low < fps <= FPS.high:  # no frame rate of 0: the table's low end is exclusive here
        diagnostics.error("R302", f"fps must be more than {FPS.low:g} and at most {FPS.high:g}, not {fps:g}",
                          g.values["fps"][0].span, "12 to 30 is usual; a feedback video often uses 12 or 15")
        fps = FPS.default
    if not BPM.low <= bpm <= BPM.high:
        diagnostics.error("R303", f"bpm must be {BPM.range_text()}", g.values["bpm"][0].span,
                          "the tempo of `4b` times and `beat`, e.g. `bpm 120`")
        bpm = BPM.default
    width, height = _size(g, diagnostics, overrides)
    length = _length(g, diagnostics, Clock(fps, bpm, None, music.beats))
    # Without a usable length the rest is still checked (over two frames), so every error shows.
    clock = Clock(fps, bpm, length or 2, music.beats)
    values = _Values(diagnostics, time_env(g, diagnostics, clock.length, fps, bpm, music), clock)
    keys = resolve_keys(g.timeline, Clock(fps, bpm, length, music.beats), diagnostics) if g.timeline else []
    columns = {name: compact(values.numeric(spec, g)) for name, spec in NUMERIC.items()}
    loop_blend, loop_frames = _loop_blend(g, diagnostics, clock)
    columns["loop_blend"] = loop_blend
    if g.seed is not None and g.seed.value is None and random_seed is None:
        random_seed = secrets.randbelow(SEED_MODULUS)  # `seed random`: drawn once, recorded in the plan
    columns["seed"] = _seeds(g, values, random_seed, loop_blend)
    if g.loop is not None and g.loop.mode.text == "circle":
        loop_frames = _circle(g, diagnostics, clock)
        columns["seed"] = np.full_like(columns["seed"], columns["seed"][0])  # one circle, from frame 0's seed
    folder = Folder(base, reader, diagnostics)
    fields = scene_settings(g, folder, path)
    if fields.get("mode") == "walk" and fields.get("loop") == "close":
        diagnostics.error("R470", "`loop close` pulls feedback frames back to frame 0, and `mode walk` has no feedback",
                          g.loop.span, "with `mode walk`, `loop circle` closes the loop: the frame after the last "
                          "is frame 0")
    _check_sources(keys, folder)
    relatives = ([fields["init"]] if fields.get("init") else []) + \
        ([fields["depth"]] if fields.get("depth_kind") == "map" and fields.get("depth") else []) + \
        [w.source.value for key in keys for w in key.mix if w.source.kind == "image"]
    settings = Settings(fps=fps, bpm=bpm, width=width, height=height, length=clock.length, script=path,
                        base_dir=str(base), loop_frames=loop_frames if fields.get("loop") in ("close", "circle") else 0,
                        seed_mode=_seed_mode(g),
                        random_seed=random_seed if (g.seed is not None and g.seed.value is None) else None,
                        assets=folder.digests(relatives), spans=setting_spans(g),
                        warnings=tuple(diagnostics.warnings), **fields)
    if diagnostics or not keys or length is None:
        return _empty_plan()
    default_negative = g.texts["negative"].text if "negative" in g.texts else ""
    conditioning, negatives = conditioning_per_frame(keys, length, default_negative)
    if settings.loop == "close":
        conditioning = close_loop(conditioning, loop_blend)
    t = values.env["t"]
    diffuse = (t % settings.cadence == 0) | (t == length - 1)
    span = g.values["zoom"][0].span if "zoom" in g.values else g.loop.span if g.loop else Span.point(1, 1)
    check_composed_motion(columns["zoom"], diffuse, settings.loop_frames, span, diagnostics)
    if "move_z" in g.values:
        check_flat_wall(columns["move_z"], settings.depth_kind, settings.depth, g.values["move_z"][0].span, diagnostics)
    if diagnostics:
        return _empty_plan()
    return Plan(settings, columns, conditioning, negatives, diffuse)


# 2.-3. scene constants and length ------------------------------------------------------

def _constant(g: Statements, diagnostics: Diagnostics, name: str, default: float) -> float:
    """fps and bpm: plain numbers, needed before any time can be resolved."""
    if name not in g.values:
        return default
    node, (value,) = g.values[name]
    if not isinstance(value, n.Num):
        auto = ", or `bpm auto` to follow the beats of the scene's audio" if name == "bpm" else ""
        diagnostics.error("R301", f"'{name}' must be a plain number", node.span, f"write e.g. `{name} {default:g}`{auto}")
        return default
    return value.value


def _length(g: Statements, diagnostics: Diagnostics, clock: Clock) -> int | None:
    """The scene's length from the timeline's `N end`, or None after reporting why not."""
    if g.timeline is None:
        diagnostics.error("R213", "missing timeline", Span.point(1, 1),
                          "add a `timeline { 0 \"a prompt\"  ...  100 end }` block: it sets prompts and the length")
        return None
    length = scene_length(g.timeline, clock, diagnostics)
    if length is not None and not 1 <= length <= MAX_FRAMES:
        diagnostics.error("R405", f"the scene has {length} frames; it must have 1 to {MAX_FRAMES:,}",
                          g.timeline.entries[-1].span, "move the timeline's end")
        return None
    return length


def _size(g: Statements, diagnostics: Diagnostics, overrides: Overrides) -> tuple[int, int]:
    if overrides.width and overrides.height:
        return overrides.width, overrides.height
    if g.size is None:
        return 512, 512
    w, h, span = g.size.width, g.size.height, g.size.span
    low, high = int(BY_NAME["size"].low), int(BY_NAME["size"].high)
    if not (low <= w <= high and low <= h <= high):
        diagnostics.error("R304", f"size {w}x{h} is out of range", span, f"each side must be {low} to {high} pixels")
    elif w % 8 or h % 8:
        diagnostics.error("R305", f"size {w}x{h} is not a multiple of 8", span,
                          f"Stable Diffusion works on multiples of 8: try {w // 8 * 8 or 8}x{h // 8 * 8 or 8}")
    return w, h


def time_env(g: Statements, diagnostics: Diagnostics, length: int, fps: float, bpm: float,
             music: Music | None = None) -> TimeEnvironment:
    """The time names, the music's curves and the lets. A let is not evaluated over every frame here
    (1,000 lets of a million frames would be 8 GB): the environment evaluates it where it is read
    (environment.py). Public: the language server shows a name's range over the scene from it (a Mapping)."""
    music = music or Music()
    curves = frame_curves(music.analysis, fps, length) if music.analysis is not None else None
    env = TimeEnvironment(length, fps, bpm, music.beats, curves)
    for let in g.lets:
        # a failed `let` still defines its name (as 0), so its uses do not report it again
        env.define(let.name, compile_expr(let.expr, set(env), diagnostics))
    return env


# 5. numeric settings -------------------------------------------------------------------

@dataclass(frozen=True)
class _Values:
    """Evaluates values over every frame: what step 5 needs, fixed once the time names are known."""

    diagnostics: Diagnostics
    env: TimeEnvironment
    clock: Clock

    @property
    def length(self) -> int:
        return self.clock.length

    def value(self, value: n.Value, lo: int = 0, hi: int | None = None) -> np.ndarray | None:
        """A value over frames [lo, hi) (all by default), or None if it has errors (already reported)."""
        if isinstance(value, n.KeyBlock):
            return self.keyblock(value)
        compiled = compile_expr(value, set(self.env), self.diagnostics)
        return None if compiled is None else self.run(compiled, value.span, lo, hi)

    def run(self, compiled: Compiled, span: Span, lo: int = 0, hi: int | None = None) -> np.ndarray | None:
        """A compiled expression over frames [lo, hi), or None after reporting why numexpr refused it."""
        error = self.diagnostics.error
        try:
            return self.env.evaluate(compiled, lo, hi)
        except ArithmeticError:  # numexpr works out constant parts itself, in Python
            error("R307", NO_FINITE_VALUE, span, NO_FINITE_VALUE_HINT)
        except (SyntaxError, RecursionError, MemoryError):
            error("R308", "this expression is too complex to evaluate", span, "split it with `let`")
        except (NotImplementedError, TypeError, ValueError) as caught:
            # the allow-list should make this unreachable; if numexpr still refuses, say where
            error("R309", f"this expression cannot be evaluated ({caught})", span,
                  "please report this: ride should have caught it at check time")
        return None

    def keyblock(self, block: n.KeyBlock) -> np.ndarray | None:
        if not block.keys:
            self.diagnostics.error("R317", "this track has no keys", block.span,
                                   "add lines like `0  1.0` and `end  2.0`")
            return None
        placed: list[tuple[float, n.Key]] = []
        previous = None
        for key in block.keys:
            frame = self.clock.frame(key.time, previous, self.diagnostics)
            if frame is None:
                continue
            if previous is not None and frame < previous:
                self.diagnostics.error(
                    "R401", f"this key (frame {frame:g}) comes before the previous key (frame {previous:g})",
                    key.time.span, "keys must be in increasing time order")
                continue
            check_transition(key.transition, self.diagnostics)
            previous = frame
            placed.append((frame, key))
        # Each key's value is evaluated only over the frames that read it (10,000 keys over every
        # frame of a long scene would be gigabytes); a constant, over one frame, as a number.
        keys: list[CurveKey] = []
        failed = False
        for (frame, key), (lo, hi) in zip(placed, key_ranges([f for f, _ in placed], self.length)):
            compiled = compile_expr(key.value, set(self.env), self.diagnostics)
            if compiled is None:
                failed = True
                continue
            constant = not compiled.names  # ride folded it to a number (`0.5`, `-1`, `2*pi`)
            lo, hi = (0, 1) if constant or hi <= lo else (lo, hi)  # (an unread key is still checked)
            value = self.run(compiled, key.value.span, lo, hi)
            failed = failed or value is None
            if value is not None:
                keys.append(CurveKey(frame, value[0] if constant else value, key.transition, lo))
        return evaluate_keys(keys, self.length) if keys and not failed else None

    def numeric(self, spec: Setting, g: Statements) -> np.ndarray:
        if spec.name not in g.values:
            return np.full(self.length, spec.default)
        node, (value,) = g.values[spec.name]
        values = self.value(value)
        if values is None:
            return np.full(self.length, spec.default)
        bad = ~np.isfinite(values) | (values < spec.low) | (values > spec.high)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            self.diagnostics.error("R306", f"{spec.name} must be {spec.range_text()}; frame {i} has {values[i]:g}",
                                   node.span, spec.help)
        return np.round(values) if spec.integer else values


# 7. loop closure, seeds ----------------------------------------------------------------

def _loop_blend(g: Statements, diagnostics: Diagnostics, clock: Clock) -> tuple[np.ndarray, int]:
    """Each frame's pull back toward frame 0, and the number of frames that close the loop."""
    length = clock.length
    blend = np.zeros(length)
    loop = g.loop
    if loop is None or loop.mode.text != "close":
        return blend, 0
    if loop.duration is None:
        diagnostics.error("R409", "`loop close` needs a length", loop.span,
                          "write e.g. `loop close 40` (frames) or `loop close 3s`")
        return blend, 0
    check_transition(loop.transition, diagnostics, blend=True)
    frames = int(round(clock.duration(loop.duration, before=length)))
    if not 1 <= frames < length:
        diagnostics.error("R410", f"loop close {frames} must be between 1 and the scene's length minus 1 "
                          f"({length - 1})", loop.duration.span,
                          "the loop returns to frame 0 over the scene's last frames")
        return blend, 0
    # Frame n would be frame 0 again: the last frame gets N/(N+1), so no frame repeats frame 0.
    start = length - frames
    p = (np.arange(start, length) - (start - 1)) / (frames + 1)
    blend[start:] = ease(loop.transition, p)
    return blend, frames


def _seeds(g: Statements, values: _Values, random_seed: int | None, loop_blend: np.ndarray) -> np.ndarray:
    seed, length = g.seed, values.length
    written = seed.value if seed is not None else g.values["seed"][1][0] if "seed" in g.values else None
    if seed is not None and seed.value is None:
        base = np.full(length, float(random_seed))
    elif written is not None:  # `seed V [iter]` or `track seed { ... }`: floored per frame
        value = values.value(written)
        base = np.floor(value) if value is not None else np.zeros(length)
        if not np.isfinite(base).all():
            span = seed.span if seed is not None else g.values["seed"][0].span
            values.diagnostics.error("R311", "seed must be a finite number", span,
                                     "a seed is a whole number, e.g. `seed 1234`")
            base = np.zeros(length)
    else:
        base = np.zeros(length)
    if seed is not None and seed.iterate:
        base = base + values.env["t"]
    seeds = np.mod(base, SEED_MODULUS)
    seeds[loop_blend > 0] = seeds[0]  # closing the loop returns the seed to frame 0's
    return seeds.astype(np.int64)


def _seed_mode(g: Statements) -> str:
    seed = g.seed
    if seed is None:
        return "fixed"
    return "random" if seed.value is None else "flow" if seed.flow else "iter" if seed.iterate else "fixed"


def _circle(g: Statements, diagnostics: Diagnostics, clock: Clock) -> int:
    """`loop circle [N]`: the frames once around the noise's circle (default: the scene's length), after
    checking what the circle cannot be combined with."""
    loop = g.loop
    if loop.transition is not None:
        diagnostics.error("R473", "`loop circle` takes no transition", loop.transition.span,
                          "the noise goes round the circle at an even pace; write `loop circle` or `loop circle 48`")
    if g.seed is not None and g.seed.flow:
        diagnostics.error("R471", "`seed ... flow` and `loop circle` both say where the noise goes", g.seed.span,
                          "keep one: `seed N flow` carries the noise with the camera, `loop circle` sends it round "
                          "a closed circle")
    frames = clock.length if loop.duration is None else int(round(clock.duration(loop.duration)))
    if frames < 2:
        span = loop.duration.span if loop.duration is not None else loop.span
        diagnostics.error("R472", f"loop circle {frames} needs at least 2 frames", span,
                          "the circle's length in frames, e.g. `loop circle 48` (default: the scene's length)")
        return 2
    return frames


# 8. sources ----------------------------------------------------------------------------

def _check_sources(keys, folder: Folder) -> None:
    for key in keys:
        for term in key.node.mix:
            if isinstance(term.source, n.Image):
                folder.image(term.source.path, term.source.span)


def _empty_plan() -> Plan:
    return Plan(Settings(), {name: np.zeros(0) for name in CAMERA_COLUMNS}, [], [], np.zeros(0, bool))
