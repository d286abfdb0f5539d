"""An opened image (``ImageEntry``, plain arrays) as the engine's ``LoadedImage`` (a PIL picture), made once.

Jobs get the window's ``ImageEntry``; the engine's functions read a ``LoadedImage``. The picture is made from
``ImageEntry.pixels`` (the upright RGB image that ``decode_image`` made, so nothing is lost) and kept for the last
few entries, so that switching tabs on one image does not copy a photo's pixels for each job.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from viewer.core.results.session import ImageEntry

if TYPE_CHECKING:  # images imports torch: imported when the first job runs
    from viewer.engine.images import LoadedImage

__all__ = ["KEPT_PICTURES", "keep_picture", "loaded_image"]

KEPT_PICTURES = 4  # the current image, and a few around it (PgUp/PgDn, Compare's image)

# id(entry) -> (entry, its LoadedImage): the entry is held, so its id cannot be reused while the picture is kept.
_kept: OrderedDict[int, tuple[ImageEntry, LoadedImage]] = OrderedDict()
_lock = threading.Lock()  # jobs run one at a time, but the cache must not depend on that


def loaded_image(entry: ImageEntry) -> LoadedImage:
    """The engine's ``LoadedImage`` of ``entry``, made on first use and kept for the last few entries."""
    with _lock:
        kept = _kept.get(id(entry))
        if kept is not None and kept[0] is entry:
            _kept.move_to_end(id(entry))
            return kept[1]
    from PIL import Image

    from viewer.engine.images import LoadedImage

    loaded = LoadedImage(
        entry.path, Image.fromarray(entry.pixels), entry.original_mode, entry.original_size, list(entry.notes)
    )
    keep_picture(entry, loaded)
    return loaded


def keep_picture(entry: ImageEntry, loaded: LoadedImage) -> None:
    """Remember ``loaded`` as ``entry``'s picture (the one it was opened from: no copy at its first job)."""
    with _lock:
        _kept[id(entry)] = (entry, loaded)
        _kept.move_to_end(id(entry))
        while len(_kept) > KEPT_PICTURES:
            _kept.popitem(last=False)
