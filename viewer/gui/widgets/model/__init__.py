"""Choosing a network: the model bar (network, weights, preset, device; ``bar.ModelBar``), the weights' evaluation
recipe dialog and the engine dialog (a local engine or one on a server).

Pure views like every widget: they may import ``viewer.core``, ``widgets.common`` and each other, never the state,
the window or the engine.
"""
