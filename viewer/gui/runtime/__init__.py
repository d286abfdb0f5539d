"""The window's process itself: what every package of the GUI runs inside.

- :mod:`~viewer.gui.runtime.application`: the QApplication, its style and the exception hooks.
- :mod:`~viewer.gui.runtime.settings`: what the app remembers between runs (QSettings; a scratch file in tests).
- :mod:`~viewer.gui.runtime.error_sink`: the one sink of every error the app shows.
- :mod:`~viewer.gui.runtime.collector`: cyclic garbage collection on the GUI thread only, the full one when idle.

May import ``viewer.core`` and Qt, nothing else of the GUI (``viewer.gui.window.launch`` starts the app). Never
torch.
"""
