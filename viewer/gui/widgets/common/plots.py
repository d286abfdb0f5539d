"""pyqtgraph, configured once for this app: images are row-major (numpy's height × width order), lines antialiased.

Widgets import ``pg`` from here rather than pyqtgraph itself, so that the options are set before any plot item
exists, whichever widget is built first. The window's frame paints before any of them is imported (pyqtgraph
takes about half a second to import on a small machine; :mod:`viewer.gui.window.launch`).
"""

from __future__ import annotations

import pyqtgraph as pg

__all__ = ["pg"]

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
