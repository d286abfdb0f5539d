"""Live input: a video file's frames (PyAV) and the analysis of one frame at a time.

- :mod:`~viewer.engine.live.video`: decode a video file into :class:`~viewer.core.results.live.LiveFrame`\\ s, every
  N-th frame or F frames a second (a generator: the CLI prints each as it comes);
- :mod:`~viewer.engine.live.frames`: the top-k of one frame (what the window's live view sends, the newest frame
  only), and of a whole video's frames (``viewer classify VIDEO``).
"""
