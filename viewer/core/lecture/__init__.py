"""The lecture's own numbers and pictures, computed beside the real networks (plain Python).

- :mod:`~viewer.core.lecture.counts`: ResNet's basic block and bottleneck parameter arithmetic.
- :mod:`~viewer.core.lecture.inception`: the naive Inception module beside the real one.
- :mod:`~viewer.core.lecture.tta`: Krizhevsky et al.'s test-time augmentation as pixel boxes.
- :mod:`~viewer.core.lecture.zoo`: the points of the accuracy-versus-cost chart.

May import: the standard library and ``viewer.core``'s flat modules.
"""
