"""Script -> Plan. Every error of the file is collected in one pass and raised together.

The steps: 1. gather statements by what they set; 2. scene constants (fps, bpm, size);
3. the timeline's length; 4. `let` names; 5. every numeric setting over all frames;
6. conditioning per frame; 7. loop closure, seeds, cadence; 8. the Plan.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engines.checkpoints import scheduler_name
from ..errors import Diagnostics, Problem, RideCompileError, RideError, RideSyntaxError, Span, did_you_mean
from ..language import nodes as n
from ..language.syntax import parse
from ..plan import CAMERA_COLUMNS, Adapter, Plan, Settings
from ..settings import NUMERIC, WORD_SETTINGS, NumericSetting
from .curves import CurveKey, compile_expr, ease, evaluate, evaluate_keys
from .statements import gather
from .timeline import close_loop, conditioning_per_frame, resolve_keys, scene_length
from .timing import Clock

MAX_FRAMES = 1_000_000
MAX_SIDE = 8192
SEED_MODULUS = 2**32


@dataclass(frozen=True)
class Overrides:
    """Settings the command line puts over the script's (`--size`, `--fps`)."""

    width: int | None = None
    height: int | None = None
    fps: float | None = None


def load(path: str | Path, random_seed: int | None = None, overrides: Overrides | None = None) -> Plan:
    """Read, parse and compile a .ride file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a Windows editor's byte-order mark is no error
    except (OSError, UnicodeDecodeError) as error:
        raise RideCompileError(Problem(f"cannot read {path}: {getattr(error, 'strerror', None) or error}"),
                               path=str(path)) from None
    return compile_text(text, str(path), random_seed=random_seed, overrides=overrides)


def compile_text(text: str, path: str = "<script>", random_seed: int | None = None,
                 overrides: Overrides | None = None) -> Plan:
    # Syntax problems don't stop the check: the recovered script (bad statements dropped) is
    # compiled too, so every mistake of the file shows in one run, in line order.
    diagnostics = Diagnostics(path, text)
    script = parse(text, path, diagnostics)
    if script is None:
        diagnostics.raise_if_any(RideSyntaxError)
    plan = _Compiler(script, path, diagnostics.problems, random_seed, overrides or Overrides()).run()
    syntax = any(p.code.startswith("R1") for p in diagnostics.problems)
    diagnostics.raise_if_any(RideSyntaxError if syntax else RideCompileError)
    return plan


def compile_script(script: n.Script, text: str = "", path: str = "<script>",
                   random_seed: int | None = None, overrides: Overrides | None = None) -> Plan:
    problems: list[Problem] = []
    plan = _Compiler(script, path, problems, random_seed, overrides or Overrides()).run()
    if problems:
        problems.sort(key=lambda p: (p.span.line, p.span.col))
        raise RideCompileError(problems, text, path)
    return plan


class _Compiler:
    def __init__(self, script: n.Script, path: str, problems: list[Problem], random_seed: int | None,
                 overrides: Overrides):
        self.script = script
        self.overrides = overrides
        self.problems = problems
        self.random_seed = random_seed
        self.base = Path(path).resolve().parent if path != "<script>" else Path.cwd()
        self.path = path
        self.loop_frames = 0

    def error(self, message: str, span: Span, hint: str = "") -> None:
        self.problems.append(Problem(message, span, hint))

    # 2.-3. scene constants and length --------------------------------------------------

    def constant(self, name: str, default: float) -> float:
        """fps and bpm: plain numbers, needed before any time can be resolved."""
        if name not in self.g.values:
            return default
        node, (value,) = self.g.values[name]
        if not isinstance(value, n.Num):
            self.error(f"'{name}' must be a plain number", node.span, f"write e.g. `{name} {default:g}`")
            return default
        return value.value

    def run(self) -> Plan:
        self.g = g = gather(self.script, self.problems)
        fps = self.overrides.fps or self.constant("fps", 12.0)
        bpm = self.constant("bpm", 120.0)
        if not 0 < fps <= 240:
            self.error(f"fps must be more than 0 and at most 240, not {fps:g}", g.values["fps"][0].span,
                       "12 to 30 is usual; a feedback video often uses 12 or 15")
            fps = 12.0
        if bpm <= 0:
            self.error("bpm must be positive", g.values["bpm"][0].span, "the tempo of `4b` times and `beat`, e.g. `bpm 120`")
            bpm = 120.0
        width, height = self.size()
        clock = Clock(fps, bpm, None)
        length = self.length(clock)
        # Without a usable length the rest is still checked (over two frames), so every error shows.
        clock.length = length or 2
        env = self.time_env(clock.length, fps, bpm)
        keys = resolve_keys(g.timeline, Clock(fps, bpm, length), self.problems) if g.timeline else []
        columns = {name: self.numeric(spec, env, clock, clock.length) for name, spec in NUMERIC.items()}
        loop_blend = self.loop_blend(clock, clock.length)
        columns["loop_blend"] = loop_blend
        columns["seed"] = self.seeds(env, clock, clock.length, loop_blend)
        settings = self.settings(fps, bpm, width, height, clock.length)
        self.check_sources(keys, settings)
        if self.problems or not keys or length is None:
            return _empty_plan()
        default_negative = g.texts["negative"].text if "negative" in g.texts else ""
        conditioning, negatives = conditioning_per_frame(keys, length, default_negative)
        if settings.loop == "close":
            conditioning = close_loop(conditioning, loop_blend)
        diffuse = (env["t"] % settings.cadence == 0) | (env["t"] == length - 1)
        return Plan(settings, columns, conditioning, negatives, diffuse)

    def length(self, clock: Clock) -> int | None:
        """The scene's length from the timeline's `N end`, or None after reporting why not."""
        timeline = self.g.timeline
        if timeline is None:
            self.error("missing timeline", Span.point(1, 1),
                       "add a `timeline { 0 \"a prompt\"  ...  100 end }` block: it sets prompts and the length")
            return None
        length = scene_length(timeline, clock, self.problems)
        if length is not None and not 1 <= length <= MAX_FRAMES:
            self.error(f"the scene has {length} frames; it must have 1 to {MAX_FRAMES:,}",
                       timeline.entries[-1].span, "move the timeline's end")
            return None
        return length

    def size(self) -> tuple[int, int]:
        if self.overrides.width and self.overrides.height:
            return self.overrides.width, self.overrides.height
        if self.g.size is None:
            return 512, 512
        w, h, span = self.g.size.width, self.g.size.height, self.g.size.span
        if not (8 <= w <= MAX_SIDE and 8 <= h <= MAX_SIDE):
            self.error(f"size {w}x{h} is out of range", span, f"each side must be 8 to {MAX_SIDE} pixels")
        elif w % 8 or h % 8:
            self.error(f"size {w}x{h} is not a multiple of 8", span,
                       f"Stable Diffusion works on multiples of 8: try {w // 8 * 8 or 8}x{h // 8 * 8 or 8}")
        return w, h

    def time_env(self, length: int, fps: float, bpm: float) -> dict:
        t = np.arange(length, dtype=np.float64)
        sec = t / fps
        env: dict = {"t": t, "sec": sec, "n": float(length), "fps": fps,
                     "u": t / max(length - 1, 1), "beat": sec * bpm / 60.0}
        known = set(env)
        for let in self.g.lets:
            compiled = compile_expr(let.expr, known, self.problems)
            known.add(let.name)
            # a failed `let` still defines its name, so its uses do not report it again
            env[let.name] = evaluate(compiled, env, length) if compiled else np.zeros(length)
        return env

    # 5. numeric settings ---------------------------------------------------------------

    def value(self, value: n.Value, env: dict, clock: Clock, length: int) -> np.ndarray | None:
        """A value over all frames, or None if it has errors (already reported)."""
        if isinstance(value, n.KeyBlock):
            return self.keyblock(value, env, clock, length)
        compiled = compile_expr(value, set(env), self.problems)
        if compiled is None:
            return None
        try:
            return evaluate(compiled, env, length)
        except ArithmeticError:  # numexpr works out constant parts itself, in Python
            self.error("this expression divides by zero or overflows", value.span,
                       "check the numbers in it; a value that is infinite on some frame is out of range anyway")
            return None
        except (SyntaxError, RecursionError, MemoryError):
            self.error("this expression is too complex to evaluate", value.span, "split it with `let`")
            return None
        except (NotImplementedError, TypeError, ValueError) as error:
            # the allow-list should make this unreachable; if numexpr still refuses, say where
            self.error(f"this expression cannot be evaluated ({error})", value.span,
                       "please report this: ride should have caught it at check time")
            return None

    def keyblock(self, block: n.KeyBlock, env: dict, clock: Clock, length: int) -> np.ndarray | None:
        if not block.keys:
            self.error("this track has no keys", block.span, "add lines like `0  1.0` and `end  2.0`")
            return None
        keys: list[CurveKey] = []
        previous = None
        failed = False
        for key in block.keys:
            frame = clock.frame(key.time, previous, self.problems)
            if frame is None:
                continue
            if previous is not None and frame < previous:
                self.error(f"this key (frame {frame:g}) comes before the previous key (frame {previous:g})",
                           key.time.span, "keys must be in increasing time order")
                continue
            self.check_transition(key.transition)
            previous = frame
            value = self.value(key.value, env, clock, length)
            failed = failed or value is None
            if value is not None:
                keys.append(CurveKey(frame, value, key.transition))
        return evaluate_keys(keys, length) if keys and not failed else None

    def check_transition(self, transition: n.Transition | None) -> None:
        if transition is not None and transition.kind == "bezier":
            x1, _, x2, _ = transition.points
            if not (0 <= x1 <= 1 and 0 <= x2 <= 1):
                self.error("bezier x values must be between 0 and 1", transition.span,
                           "as in CSS: bezier(x1, y1, x2, y2) with x1 and x2 in [0, 1]")

    def numeric(self, spec: NumericSetting, env: dict, clock: Clock, length: int) -> np.ndarray:
        if spec.name not in self.g.values:
            return np.full(length, spec.default)
        node, (value,) = self.g.values[spec.name]
        values = self.value(value, env, clock, length)
        if values is None:
            return np.full(length, spec.default)
        self.check_range(spec, values, node.span, env)
        return np.round(values) if spec.integer else values

    def check_range(self, spec: NumericSetting, values: np.ndarray, span: Span, env: dict) -> None:
        bad = ~np.isfinite(values) | (values < spec.low) | (values > spec.high)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            self.error(f"{spec.name} must be {spec.range_text()}; frame {i} has {values[i]:g}", span,
                       spec.hint)

    # 7. loop closure, seeds ------------------------------------------------------------

    def loop_blend(self, clock: Clock, length: int) -> np.ndarray:
        blend = np.zeros(length)
        loop = self.g.loop
        if loop is None or loop.mode.text != "close":
            return blend
        if loop.duration is None:
            self.error("`loop close` needs a length", loop.span, "write e.g. `loop close 40` (frames) or `loop close 3s`")
            return blend
        frames = int(round(clock.duration(loop.duration)))
        if not 1 <= frames < length:
            self.error(f"loop close {frames} must be between 1 and the scene's length minus 1 ({length - 1})",
                       loop.duration.span, "the loop returns to frame 0 over the scene's last frames")
            return blend
        # Frame n would be frame 0 again: the last frame gets N/(N+1), so no frame repeats frame 0.
        self.loop_frames = frames
        start = length - frames
        p = (np.arange(start, length) - (start - 1)) / (frames + 1)
        blend[start:] = ease(loop.transition, p)
        return blend

    def seeds(self, env: dict, clock: Clock, length: int, loop_blend: np.ndarray) -> np.ndarray:
        seed = self.g.seed
        if seed is None:
            base = np.zeros(length)
        elif seed.value is None:
            if self.random_seed is None:
                self.random_seed = secrets.randbelow(SEED_MODULUS)
            base = np.full(length, float(self.random_seed))
        else:
            value = self.value(seed.value, env, clock, length)
            base = np.floor(value) if value is not None else np.zeros(length)
            if not np.isfinite(base).all():
                self.error("seed must be a finite number", seed.span)
                base = np.zeros(length)
        if seed is not None and seed.iterate:
            base = base + env["t"]
        seeds = np.mod(base, SEED_MODULUS)
        seeds[loop_blend > 0] = seeds[0]  # closing the loop returns the seed to frame 0's
        return seeds.astype(np.int64)

    # 8. settings -----------------------------------------------------------------------

    def settings(self, fps: float, bpm: float, width: int, height: int, length: int) -> Settings:
        g = self.g
        s = Settings(fps=fps, bpm=bpm, width=width, height=height, length=length, script=self.path,
                     base_dir=str(self.base))
        texts = {name: st.text for name, st in g.texts.items()}
        s.title = texts.get("title", "")
        s.model = texts.get("model")
        s.output = texts.get("output") or Path(self.path).with_suffix(".mp4").name
        for name in ("init", "audio"):
            if name in g.texts:
                setattr(s, name, self.asset(g.texts[name].text, g.texts[name].span))
        if "output" in g.texts:
            self.check_output(s.output, g.texts["output"].span)
        if g.scheduler:
            s.scheduler = g.scheduler.scheduler
            try:
                scheduler_name(s.scheduler)  # the engine's own check, which needs no torch
            except RideError as error:
                self.error(error.problems[0].message, g.scheduler.span, error.problems[0].hint)
        if g.adapter:
            defaults = Adapter(g.adapter.repo)
            s.adapter = Adapter(g.adapter.repo, g.adapter.weight_name or defaults.weight_name,
                                g.adapter.subfolder or defaults.subfolder)
        for st in g.words.values():
            self.word_setting(s, st)
        if "cadence" in g.values:
            node, (value,) = g.values["cadence"]
            if not isinstance(value, n.Num) or value.value != int(value.value) or not 1 <= value.value <= 1000:
                self.error("cadence must be a whole number from 1 to 1000", node.span,
                           "cadence 3 diffuses every 3rd frame and blends the frames between")
            else:
                s.cadence = int(value.value)
        if g.loop:
            mode = g.loop.mode
            if mode.text not in ("close", "pingpong"):
                self.error(f"unknown loop '{mode.text}'", mode.span, did_you_mean(mode.text, ["close", "pingpong"]))
            else:
                s.loop = mode.text
                s.loop_frames = self.loop_frames if mode.text == "close" else 0
        s.reverse = g.reverse
        s.random_seed = self.random_seed if (g.seed is not None and g.seed.value is None) else None
        return s

    def word_setting(self, s: Settings, st: n.WordSetting) -> None:
        allowed = WORD_SETTINGS[st.name]
        words = [w.text for w in st.words]
        if st.name in ("engine", "border"):
            if len(words) != 1 or words[0] not in allowed:
                span = st.words[0].span if st.words else st.span
                self.error(f"unknown {st.name} '{' '.join(words)}'", span, did_you_mean(" ".join(words), allowed))
            else:
                setattr(s, st.name, words[0])
            return
        # color match [frame0|off] [lab|rgb|hsv] [amount]
        if not words or words[0] != "match":
            span = st.words[0].span if st.words else st.span
            self.error("write `color match [frame0|off] [lab|rgb|hsv] [amount]`", span,
                       "e.g. `color match frame0 lab` or `color match frame0 lab 0.5`")
            return
        for word in st.words[1:]:
            if word.text in ("frame0", "off"):
                s.color_match = word.text
            elif word.text in ("lab", "rgb", "hsv"):
                s.color_space = word.text
            elif word.text[:1].isdigit() or word.text[:1] == ".":
                s.color_amount = float(word.text)
                if not 0 <= s.color_amount <= 1:
                    self.error(f"the colour match amount must be between 0 and 1, not {word.text}", word.span,
                               "1 matches fully each frame; 0.5 lets a changing story change its colours")
            else:
                self.error(f"unknown colour match option '{word.text}'", word.span, did_you_mean(word.text, allowed))

    # paths -----------------------------------------------------------------------------

    def inside_folder(self, relative: str, span: Span) -> Path | None:
        target = (self.base / relative).resolve()
        if Path(relative).is_absolute() or not target.is_relative_to(self.base):
            self.error(f"path '{relative}' leaves the script's folder", span,
                       "paths in a script are relative to its folder and stay inside it")
            return None
        return target

    def check_output(self, relative: str, span: Span) -> None:
        """A video file of a known kind, or a new folder for PNG frames (never the script's own)."""
        target = self.inside_folder(relative, span)
        if relative.endswith("/"):
            if target is not None and target == self.base:
                self.error("the output folder is the script's own folder", span,
                           "name a folder for the frames, e.g. `output \"frames/\"`")
        elif Path(relative).suffix.lower() not in (".mp4", ".webm", ".gif"):
            self.error(f"output '{relative}' is not a video ride writes", span,
                       "use .mp4, .webm or .gif, or a folder name ending in '/' for PNG frames")

    def asset(self, relative: str, span: Span) -> str:
        target = self.inside_folder(relative, span)
        if target is not None and not target.is_file():
            self.error(f"file not found: '{relative}'", span, "paths are relative to the script's folder")
        return relative

    def check_sources(self, keys, settings: Settings) -> None:
        for key in keys:
            for term in key.node.mix:
                if isinstance(term.source, n.Image):
                    self.asset(term.source.path, term.source.span)
        if settings.init:
            self.digest(settings, settings.init)
        for key in keys:
            for w in key.mix:
                if w.source.kind == "image":
                    self.digest(settings, w.source.value)

    def digest(self, settings: Settings, relative: str) -> None:
        path = self.base / relative
        if relative not in settings.assets and path.is_file():
            settings.assets[relative] = hashlib.sha256(path.read_bytes()).hexdigest()[:24]


def _empty_plan() -> Plan:
    return Plan(Settings(), {name: np.zeros(0) for name in CAMERA_COLUMNS}, [], [], np.zeros(0, bool))
