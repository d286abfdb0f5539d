"""The Architecture diagram's drawing: a collapsed graph view laid out in ranks, its boxes placed, its edges routed.

``layered`` is the entry point (:func:`~viewer.engine.layout.layered.layout_view`): grandalf's Sugiyama ranks and
orders, ``order`` the crossing reduction and the training-only boxes moved aside, ``place`` the coordinates and
the routes, ``parts`` the constants and working types (slots, parts) its steps share. Pure Python: may import
``viewer.core`` and grandalf, never torch (an import-linter contract), so that the window's tests and the CLI's
SVG export can lay out a graph without the engine's heavy imports.
"""
