"""ride: a declarative timeline renderer for generative video.

    text --syntax--> Script --compiler--> Plan --render--> frames --video--> file
"""

from .compiler import compile_text, load
from .errors import RideError
from .plan import FramePlan, Plan

__all__ = ["load", "compile_text", "Plan", "FramePlan", "RideError"]
__version__ = "0.1.0"
