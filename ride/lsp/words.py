"""What the editor says about each word of the language that the settings table does not describe:
functions, time variables, transitions, time units, morph methods. Hover and completion both read
these; a test checks that every function the compiler knows has its line here.
"""

from __future__ import annotations

FUNCTIONS = {
    "sin": "sine of an angle in radians",
    "cos": "cosine of an angle in radians",
    "tan": "tangent of an angle in radians",
    "arcsin": "inverse sine, in radians",
    "arccos": "inverse cosine, in radians",
    "arctan": "inverse tangent, in radians",
    "arctan2": "arctan2(y, x): the angle of the point (x, y), in radians",
    "sinh": "hyperbolic sine",
    "cosh": "hyperbolic cosine",
    "tanh": "hyperbolic tangent: a smooth step from -1 to 1",
    "sqrt": "square root",
    "exp": "e to the power of x",
    "log": "natural logarithm",
    "log10": "base-10 logarithm",
    "log2": "base-2 logarithm",
    "abs": "absolute value",
    "floor": "the whole number at or below x",
    "ceil": "the whole number at or above x",
    "round": "the nearest whole number",
    "sign": "-1, 0 or 1: the sign of x",
    "minimum": "minimum(a, b): the smaller of two values",
    "maximum": "maximum(a, b): the larger of two values",
    "where": "where(condition, a, b): a where the condition holds, else b (per frame)",
    "fmod": "fmod(a, b): the remainder of a / b, with a's sign",
    "hypot": "hypot(x, y): the length sqrt(x*x + y*y)",
    "min": "min(a, b): the smaller of two values",
    "max": "max(a, b): the larger of two values",
    "clip": "clip(x, low, high): x held between low and high",
    "lerp": "lerp(a, b, p): from a (p = 0) to b (p = 1)",
    "frac": "the fractional part: x - floor(x)",
    "smoothstep": "0 below 0, 1 above 1, an S-curve between (for a p in 0..1)",
}

TIME_VARIABLES = {
    "t": "the frame index, from 0",
    "sec": "the time in seconds (t / fps)",
    "n": "the number of frames in the scene",
    "u": "the progress through the scene: 0 at the first frame, 1 at the last",
    "fps": "frames per second",
    "beat": "the time in beats (sec * bpm / 60; with `bpm auto`, the song's detected beats: 0 at the first)",
    "level": "the music's loudness this frame, 0..1 (1 at the loudest moment of the `audio` file)",
    "onset": "the music's onset strength this frame, 0..1: a peak at every hit, pluck or kick",
    "bass": "the music's energy from 20 to 250 Hz this frame, 0..1 (kick, bass line)",
    "mid": "the music's energy from 250 Hz to 4 kHz this frame, 0..1 (voices, most instruments)",
    "treble": "the music's energy from 4 to 11 kHz this frame, 0..1 (hi-hats, cymbals)",
}

CONSTANTS = {"pi": "3.14159...: half a turn in radians", "e": "2.71828...: the base of natural logarithms"}

TRANSITIONS = {
    "linear": "the value moves at a steady rate from the previous key (the default for numbers)",
    "hold": "the previous value holds until this key, then jumps",
    "ease": "starts and ends gently (`ease in`, `ease out`, `ease in_out`; plain `ease` is in_out)",
    "cubic": "a smooth curve through the neighbouring keys (Catmull-Rom)",
    "bezier": "bezier(x1, y1, x2, y2): a CSS cubic-bezier curve; x1 and x2 in 0..1",
    "in": "`ease in`: starts slowly, arrives at speed",
    "out": "`ease out`: starts at speed, arrives slowly",
    "in_out": "`ease in_out`: starts and arrives slowly",
}

UNITS = {
    "f": "frames",
    "s": "seconds",
    "b": "beats (at the scene's bpm; with `bpm auto`, the song's detected beats)",
    "%": "percent of the scene",
    "end": "the last frame",
}

MORPH_METHODS = {
    "lerp": "the embeddings are mixed in a straight line (the default)",
    "slerp": "the embeddings move along the sphere: their size holds through the morph",
}

KEYWORDS = {
    "morph": "`morph N [lerp|slerp] [transition]`: this key's conditioning arrives over the N frames before it",
    "image": "`image \"path\"`: a picture's CLIP image embedding as conditioning (IP-Adapter)",
    "negative": "a negative prompt for this key, instead of the scene's",
    "end": "the timeline's last line `N end` sets the length (frames 0 to N-1); in a track, the last frame",
    "iter": "`seed N iter`: the seed is N plus the frame number",
    "random": "`seed random`: a seed drawn once, recorded in the plan",
    "close": "`loop close N`: the last N frames return to frame 0, so the video loops",
    "pingpong": "`loop pingpong`: the video plays forward then back",
    "let": "`let name = expression`: a name for a value over time",
    "track": "`track SETTING { time value [transition] ... }`: keyframes for a numeric setting",
    "camera": "`camera { ... }`: the camera's motion per frame, about its focus point",
    "timeline": "`timeline { time \"prompt\" ... N end }`: the conditioning over time, and the length",
}
