"""The Architecture diagram once laid out: boxes, routes, colours and its SVG file (plain Python, no Qt).

- :mod:`~viewer.core.diagram.layout`: boxes, edge routes and frames in drawing units (the app's scene and the SVG
  draw the same).
- :mod:`~viewer.core.diagram.colours`: the one colour table of every renderer.
- :mod:`~viewer.core.diagram.svg`: a laid-out graph as a standalone SVG file (``viewer graph --svg``, Export…).
- :mod:`~viewer.core.diagram.svg_pieces`: plain-string SVG pieces shared with the accuracy-versus-cost chart.

May import: the standard library, :mod:`viewer.core.graph`.
"""
