"""Dense class heatmaps (OverFeat; Long et al.'s FCN): a classifier made fully convolutional and slid over a
large image at several scales.

``dense`` is the entry point (:func:`~viewer.engine.heatmap.dense.dense_heatmap`, a generator of progress that
returns a :class:`~viewer.core.results.heatmap.ClassHeatmap`); ``convolutionize`` turns a network's ``Linear``
head into convolutions (``traced`` reads its trace: shapes and what each node does; ``convolutionized_linear``
computes a converted ``Linear`` as a GEMM over positions), ``fold`` folds
BatchNorm into the convolution before it for the dense passes, ``geometry`` places each cell of a map in the
image (receptive fields, tiles, the stride-1 final max-pool offsets). May import ``viewer.core``, torch and the
engine's models and images.
"""
