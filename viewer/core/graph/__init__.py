"""The data-flow graph of a network and what is read off it (plain Python: no numpy, torch or Qt).

- :mod:`~viewer.core.graph.dataflow`: ``Graph`` of calls and tensors, its partly collapsed views.
- :mod:`~viewer.core.graph.keys`: naming nodes the way the Architecture tab's user does.
- :mod:`~viewer.core.graph.table`: the architecture table, one row per call in execution order.
- :mod:`~viewer.core.graph.groups`: ResNeXt's aggregated pathways drawn from a grouped convolution.
- :mod:`~viewer.core.graph.receptive`: each feature map's receptive field, jump and start.
- :mod:`~viewer.core.graph.convolutionizable`: whether the graph can be drawn convolutionized.

May import: the standard library and ``viewer.core``'s flat modules (errors, macs, options).
"""
