"""The scene's curves: every per-frame value and conditioning weight over time.

`series.py` works them out (numpy only): the live page draws them in the browser from its JSON,
and `ride plot` draws them with matplotlib (`figure.py`, the only module that imports it), so
the page and the plot show the same curves.
"""
