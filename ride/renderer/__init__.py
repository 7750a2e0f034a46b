"""Plan + engine -> frames: the feedback loop, colour matching, loop closure, the frame store."""
