"""What a channel looks for: its strongest image patches over a folder ("dataset examples", issue 23).

One pass over a folder keeps, for every channel of the chosen layers, the ``top`` images whose spatial maximum of
that channel is highest, and where in the map it peaked; each is then cut to that cell's receptive field (Zeiler
& Fergus 2014's top-9 grids).

- :mod:`~viewer.engine.atlas.folder`: the folder's image files (recursive, sorted), decoded with the network's own
  preprocessing in ``torch.utils.data.DataLoader`` workers; an unreadable file is a reason, never an error.
- :mod:`~viewer.engine.atlas.running`: the running top-N per channel of one layer (memory bounded by channels x N).
- :mod:`~viewer.engine.atlas.store`: the index on disk (JSON + NPY, no pickle), keyed by network, weights,
  preprocessing, layers, N and the folder's files; a finished index is read instead of computed, an interrupted
  one is resumed.
- :mod:`~viewer.engine.atlas.job`: the pass as a job (a generator of ``Progress``, returning an
  :class:`~viewer.core.results.atlas.Atlas`).
- :mod:`~viewer.engine.atlas.crops`: each entry's patch, a channel's grid and a layer's contact sheet (numpy).

May import ``viewer.core``, torch, torchvision, numpy, Pillow and the engine's images, activations, summary and
export; never Qt or the GUI.
"""
