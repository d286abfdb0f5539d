"""The Compare tab's widgets: the networks' table and results (``view.CompareView``) and the lecture's
accuracy-versus-cost chart, on screen (``chart``) and as an SVG file (``chart_svg``).

Pure views like every widget: they may import ``viewer.core``, ``widgets.common`` and each other, never the state,
the window or the engine.
"""
