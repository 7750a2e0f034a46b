"""Where rendered frames go: a video file or a PNG folder (video)."""
