"""The Architecture tab's data-flow graph of any network, and the lecture's readings of it.

``build`` is the entry point (:func:`~viewer.engine.graph.build.build_graph`, :func:`graph_of_name` cached by
name): ``trace`` runs one torch.fx trace on the meta device (with :mod:`viewer.engine.fx_tracers` and
:mod:`viewer.engine.meta_interpreter`, shared with the heatmap; ``fallback``: the module tree when fx cannot
trace), ``notes`` and ``stages`` add what the lecture says that a trace cannot (ResNet variants, VGG's stages),
``variants`` the convolutionized twin and the graph without its training-only heads, ``export`` writes a drawn
graph as JSON (its SVG is ``viewer.core.diagram.svg``), ``layer_geometry`` reads the kernel, stride, padding
and dilation that the trace composes into receptive fields. May import ``viewer.core``, torch, torchvision and
the engine's models, layout and heatmap (never the other way: an import-linter contract forbids cycles).
"""
