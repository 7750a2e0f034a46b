"""Step 8 of compiling: the scene-wide Settings (texts, words, paths and their assets' digests)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import Diagnostics, Span, did_you_mean
from ..language import nodes as n
from ..plan import Adapter, Embedding, Lora
from ..settings import BY_NAME, WORD_SETTINGS
from .reader import Reader, image_header
from .statements import Statements

MAX_IMAGE_PIXELS = int(BY_NAME["size"].high) ** 2  # the largest frame ride renders: a larger image is only shrunk again
MAX_NAME_BYTES = 255  # a file name longer than this no common file system can hold
MAX_PATH_BYTES = 1024  # a whole path: Linux allows 4096 with the folders above the script's


@dataclass(frozen=True)
class Folder:
    """The script's folder, which relative paths resolve against and may not leave."""

    base: Path
    reader: Reader
    diagnostics: Diagnostics

    def inside(self, relative: str, span: Span) -> Path | None:
        if "\x00" in relative or len(relative.encode("utf-8", "replace")) > MAX_PATH_BYTES or any(
                len(part.encode("utf-8", "replace")) > MAX_NAME_BYTES for part in relative.split("/")):
            shown = relative if len(relative) <= 40 else relative[:37] + "..."
            self.diagnostics.error("R511", f"path '{shown}' cannot name a file", span,
                                   f"a path holds no NUL character (\\0), is at most {MAX_PATH_BYTES} bytes, "
                                   f"and each name in it at most {MAX_NAME_BYTES}")
            return None
        try:
            target = (self.base / relative).resolve()
        except (OSError, RuntimeError) as error:  # a symlink loop, a path too long for the system
            self.diagnostics.error("R511", f"path '{relative[:40]}' cannot name a file: {error}", span,
                                   "check the path")
            return None
        if Path(relative).is_absolute() or not target.is_relative_to(self.base):
            self.diagnostics.error("R502", f"path '{relative}' leaves the script's folder", span,
                                   "paths in a script are relative to its folder and stay inside it")
            return None
        return target

    def check_output(self, relative: str, span: Span) -> None:
        """A video file of a known kind, or a new folder for PNG frames (never the script's own)."""
        target = self.inside(relative, span)
        if relative.endswith("/"):
            if target is not None and target == self.base:
                self.diagnostics.error("R503", "the output folder is the script's own folder", span,
                                       "name a folder for the frames, e.g. `output \"frames/\"`")
        elif Path(relative).suffix.lower() not in (".mp4", ".webm", ".gif"):
            self.diagnostics.error("R504", f"output '{relative}' is not a video ride writes", span,
                                   "use .mp4, .webm or .gif, or a folder name ending in '/' for PNG frames")

    def asset(self, relative: str, span: Span) -> Path | None:
        """The file a path names, or None after reporting why it cannot be used."""
        target = self.inside(relative, span)
        if target is not None and not self._is_file(target):
            self.diagnostics.error("R505", f"file not found: '{relative}'", span,
                                   "paths are relative to the script's folder")
            return None
        return target

    def image(self, relative: str, span: Span) -> str:
        """An image file (`init`, an `image` key): its header read now, so a render will not fail on it."""
        target = self.asset(relative, span)
        if target is not None:
            header = image_header(self.reader, target, MAX_IMAGE_PIXELS)
            if header.too_large:
                self.diagnostics.error("R512", f"image '{relative}' {header.problem}", span,
                                       f"use an image of at most {MAX_IMAGE_PIXELS:,} pixels "
                                       "(e.g. 8192x8192); ride resizes it to the frame size anyway")
            elif header.problem:
                self.diagnostics.error("R513", f"image '{relative}' {header.problem}", span,
                                       "save it as PNG, JPEG or WebP")
        return relative

    def _is_file(self, path: Path) -> bool:
        try:
            return self.reader.is_file(path)
        except (OSError, ValueError):
            return False

    def digests(self, relatives) -> dict[str, str]:
        """Each existing file's content digest: an image's pixels are part of its frames' keys."""
        out: dict[str, str] = {}
        for relative in relatives:
            path = self.base / relative
            if relative not in out and "\x00" not in relative and self._is_file(path):
                out[relative] = hashlib.sha256(self.reader.read_bytes(path)).hexdigest()[:24]
        return out


def scene_settings(g: Statements, folder: Folder, path: str) -> dict:
    """The Settings fields the script's texts and words set (as keyword arguments)."""
    diagnostics = folder.diagnostics
    texts = {name: st.text for name, st in g.texts.items()}
    out: dict = {"title": texts.get("title", ""), "model": texts.get("model"),
                 "output": texts.get("output") or Path(path).with_suffix(".mp4").name}
    if "init" in g.texts:
        out["init"] = folder.image(g.texts["init"].text, g.texts["init"].span)
    if "audio" in g.texts:
        folder.asset(g.texts["audio"].text, g.texts["audio"].span)
        out["audio"] = g.texts["audio"].text
    if "output" in g.texts:
        folder.check_output(out["output"], g.texts["output"].span)
    if g.scheduler:
        out["scheduler"] = g.scheduler.scheduler  # the engine checks the name (ride.engines.check_engine_options)
    if g.adapter:
        defaults = Adapter(g.adapter.repo)
        out["adapter"] = Adapter(g.adapter.repo, g.adapter.weight_name or defaults.weight_name,
                                 g.adapter.subfolder or defaults.subfolder)
    out.update(model_parts(g, texts, diagnostics))
    for st in g.words.values():
        out.update(word_setting(st, diagnostics))
    if "cadence" in g.values:
        node, (value,) = g.values["cadence"]
        low, high = int(BY_NAME["cadence"].low), int(BY_NAME["cadence"].high)
        if not isinstance(value, n.Num) or value.value != int(value.value) or not low <= value.value <= high:
            diagnostics.error("R312", f"cadence must be a whole number from {low} to {high}", node.span,
                              "cadence 3 diffuses every 3rd frame and blends the frames between")
        else:
            out["cadence"] = int(value.value)
    if g.loop:
        mode = g.loop.mode
        if mode.text not in ("close", "circle", "pingpong"):
            diagnostics.error("R313", f"unknown loop '{mode.text}'", mode.span,
                              did_you_mean(mode.text, ["close", "circle", "pingpong"]))
        else:
            out["loop"] = mode.text
    if g.depth:
        out.update(depth_setting(g.depth, folder))
    out["reverse"] = g.reverse
    return out


def model_parts(g: Statements, texts: dict, diagnostics: Diagnostics) -> dict:
    """What a diffusers model is loaded with besides its weights: VAE, configs, LoRAs, embeddings, clip skip
    (the engine checks that they exist and fit the model, before frame 0)."""
    out: dict = {"vae": texts.get("vae"), "model_config": texts.get("model_config"),
                 "loras": tuple(Lora(st.path, 1.0 if st.weight is None else st.weight) for st in g.loras),
                 "embeddings": tuple(Embedding(st.path, st.token) for st in g.embeddings)}
    if "clip_skip" in g.values:
        node, (value,) = g.values["clip_skip"]
        low, high = int(BY_NAME["clip_skip"].low), int(BY_NAME["clip_skip"].high)
        if not isinstance(value, n.Num) or value.value != int(value.value) or not low <= value.value <= high:
            diagnostics.error("R360", f"clip_skip must be a whole number from {low} to {high}", node.span,
                              "clip_skip 1 reads the text encoder's second-to-last layer (A1111's \"clip skip 2\")")
        else:
            out["clip_skip"] = int(value.value)
    return out
# A quoted depth ending so is a fixed depth map; anything else quoted is a depth model's id or folder.
DEPTH_MAP_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")


def depth_setting(st: n.DepthSetting, folder: Folder) -> dict:
    """`depth auto | none | NUMBER | "model id, folder or map.png"` as Settings' depth_kind and depth."""
    if st.quoted:
        if not st.value.strip():
            folder.diagnostics.error("R381", "the depth's name is empty", st.span,
                                     'name a depth model (`depth "depth-anything/Depth-Anything-V2-Small-hf"`), '
                                     'a model folder, or a depth map image (`depth "depth.png"`)')
            return {}
        if st.value.lower().endswith(DEPTH_MAP_SUFFIXES):
            return {"depth_kind": "map", "depth": folder.image(st.value, st.span)}
        return {"depth_kind": "model", "depth": st.value}
    if st.value in ("auto", "none"):
        return {"depth_kind": st.value, "depth": ""}
    if st.value[:1].isdigit() or st.value[:1] == ".":
        if not 0 < float(st.value) < math.inf:
            folder.diagnostics.error("R382", f"a flat depth must be a positive distance, not {st.value}", st.span,
                                     "`depth 100` is a flat wall 100 units away (as far as `depth auto`'s middle "
                                     "distance)")
            return {}
        return {"depth_kind": "flat", "depth": f"{float(st.value):g}"}
    folder.diagnostics.error("R380", f"unknown depth '{st.value}'", st.span,
                             did_you_mean(st.value, ["auto", "none"]) + ', a distance (`depth 100`), or a quoted '
                             'depth model or map (`depth "depth.png"`)')
    return {}


def word_setting(st: n.WordSetting, diagnostics: Diagnostics) -> dict:
    allowed = WORD_SETTINGS[st.name]
    words = [w.text for w in st.words]
    if st.name in ("engine", "border", "mode"):
        if len(words) != 1 or words[0] not in allowed:
            span = st.words[0].span if st.words else st.span
            diagnostics.error("R313", f"unknown {st.name} '{' '.join(words)}'", span,
                              did_you_mean(" ".join(words), allowed))
            return {}
        return {st.name: words[0]}
    # color match [frame0|off] [lab|rgb|hsv] [amount]
    if not words or words[0] != "match":
        span = st.words[0].span if st.words else st.span
        diagnostics.error("R314", "write `color match [frame0|off] [lab|rgb|hsv] [amount]`", span,
                          "e.g. `color match frame0 lab` or `color match frame0 lab 0.5`")
        return {}
    out: dict = {}
    for word in st.words[1:]:
        if word.text in ("frame0", "off"):
            out["color_match"] = word.text
        elif word.text in ("lab", "rgb", "hsv"):
            out["color_space"] = word.text
        elif word.text[:1].isdigit() or word.text[:1] == ".":
            out["color_amount"] = float(word.text)
            if not 0 <= out["color_amount"] <= 1:
                diagnostics.error("R315", f"the colour match amount must be between 0 and 1, not {word.text}",
                                  word.span, "1 matches fully each frame; 0.5 lets a changing story change its colours")
        else:
            diagnostics.error("R314", f"unknown colour match option '{word.text}'", word.span,
                              did_you_mean(word.text, allowed))
    return out


def setting_spans(g: Statements) -> dict[str, Span]:
    """Where each setting is written, for checks made on the plan later (an engine's options)."""
    spans = dict(g.seen)
    if g.scheduler is not None:
        spans["scheduler"] = g.scheduler.span
    for i, st in enumerate(g.loras):
        spans[f"lora {i}"] = st.span
    for i, st in enumerate(g.embeddings):
        spans[f"embedding {i}"] = st.span
    return spans
