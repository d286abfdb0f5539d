"""The Heatmap tab's widgets: the photo with the dense class map over it, its colour bar and hottest point
(``view.HeatmapView``), and the class picker with its searchable list (``classes``).

Pure views like every widget: they may import ``viewer.core``, ``widgets.common`` and each other, never the state,
the window or the engine.
"""
