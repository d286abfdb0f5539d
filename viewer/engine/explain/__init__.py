"""What made the network say this class: the Explain tab's and ``viewer explain``'s maps.

``methods`` is the entry point (:func:`~viewer.engine.explain.methods.explain`, a generator of progress that
returns an :class:`~viewer.core.results.explain.Explanation`): Grad-CAM and gradient saliency through Captum,
``ig`` integrated gradients in cancellable chunks, ``occlusion`` the patch sweep, and the dense map from
:mod:`viewer.engine.heatmap.dense`. ``input`` makes the whole image the network's input and maps results back to the
image's pixels, ``timing`` times one forward pass for the costly methods' estimates, ``export`` writes a map as
PNG + NPY + JSON. ``unit`` projects one unit of a layer back to the image (Captum's neuron deconvolution and guided
backpropagation), ``relu_rules`` says which ReLUs those rules reach. May import ``viewer.core``, torch, Captum and
the engine's models, images, heatmap and summary.
"""
