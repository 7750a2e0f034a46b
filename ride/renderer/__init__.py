"""Plan + engine -> frames -> outputs: the render session (session.py: request, engine, frame store),
the feedback loop that makes frames (loop.py, feedback.py, color.py), publishing them (publish.py,
seam.py), and the frame store (store.py, store_writer.py)."""
