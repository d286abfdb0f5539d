"""The networks and their weights: which exist, how each is built, with what weights and what preprocessing.

``registry`` knows every network (the lecture's seed networks and torchvision's zoo; the seed networks' code is
:mod:`viewer.engine.zoo`); ``weights`` builds one with its weights (default, random, a torchvision enum, a local
file loaded with ``weights_only=True``, a custom model file) into a ``LoadedModel``; ``download`` fetches weights
into torch hub's cache (progress, cancel, hash check, atomic rename); ``custom`` runs a user's ``file.py:function``
only after consent, exactly the bytes agreed to; ``recipes`` is the preprocessing each weights file gets; ``meta``
builds networks on the meta device (shapes and costs, no memory). May import ``viewer.core``, torch and
torchvision.
"""
