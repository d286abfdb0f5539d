"""The Activations tab's widgets: the layer tree, the channel mosaic (``view.ActivationsView``) and one channel
shown large with its statistics and receptive field.

Pure views like every widget: they may import ``viewer.core`` and each other, never the state, the window or the
engine.
"""
