"""Scores as colours: named colormaps, the range a scale spans, and coloured images (numpy; Pillow for PNGs).

- :mod:`~viewer.core.colormap.tables`: a colormap name as a lookup table (``cmap``: the maps pyqtgraph knows).
- :mod:`~viewer.core.colormap.ranges`: the range a colour scale spans, with the one guard for a flat map.
- :mod:`~viewer.core.colormap.images`: score maps coloured and overlaid, as exports and the CLI write them.

May import: numpy, cmap, Pillow (``images`` only) and ``viewer.core.errors``.
"""
