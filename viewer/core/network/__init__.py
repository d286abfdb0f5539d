"""Which network, and what it expects: the choice, its spec, its input and its weights' recipe (plain Python).

- :mod:`~viewer.core.network.choice`: ``ModelChoice``, the one name of a network, its weights and device.
- :mod:`~viewer.core.network.spec`: what the window knows of a zoo network before it is built.
- :mod:`~viewer.core.network.input`: channels, sizes and normalisation a network expects.
- :mod:`~viewer.core.network.recipe`: the evaluation recipe of a set of weights (resize, crop, mean, std).
- :mod:`~viewer.core.network.preset_fit`: presets that do not fit the chosen weights, in one sentence.

May import: the standard library and ``viewer.core``'s flat modules.
"""
