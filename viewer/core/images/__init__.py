"""Images as files and as what crosses to the engine (plain Python and numpy; no torch, no Qt).

- :mod:`~viewer.core.images.paths`: which files a drop or a command line names (one reading for GUI and CLI).
- :mod:`~viewer.core.images.files`: files read into memory by the side that has them.
- :mod:`~viewer.core.images.refs`: an opened image crosses once per connection, later jobs name it by key.

May import: the standard library, numpy, ``viewer.core.errors`` and ``viewer.core.results``.
"""
