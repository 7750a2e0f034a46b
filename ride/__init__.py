"""ride: a declarative timeline renderer for generative video.

    text --syntax--> Script --compiler--> Plan --render--> frames --video--> file

    plan = ride.load("scenes/giro.ride")          # every frame's parameters
    result = ride.render("scenes/giro.ride")      # frames -> video, resuming from the cache
"""

from .compile.compiler import compile_text, load
from .errors import RideError
from .plan import FramePlan, Plan


def __getattr__(name: str):
    # `ride.render` loads the render stage (PIL, video) only when used: `ride check` stays light.
    if name == "render":
        from .api import render

        return render
    raise AttributeError(f"module 'ride' has no attribute {name!r}")


__all__ = ["load", "compile_text", "render", "Plan", "FramePlan", "RideError"]
__version__ = "0.1.0"
