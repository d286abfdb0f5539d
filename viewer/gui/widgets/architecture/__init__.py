"""The Architecture tab's widgets: the data-flow diagram (``view.ArchitectureView`` with its scene, boxes'
labels, find bar and export), the layer table, the lecture's numbers beside it (with the naive
Inception module beside the real one), the pathways window, Table 1 (``lecture_table``) and the
convolutionize bar.

Pure views like every widget: they may import ``viewer.core`` and each other, never the state, the window or the
engine; the diagram's layout arrives computed (``viewer.core.diagram.layout`` types).
"""
