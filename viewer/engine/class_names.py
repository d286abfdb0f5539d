"""Finding a class of a model by index, by name or by WordNet synonym.

The functions live in ``viewer.core.class_search`` (plain Python, so the GUI thread may use them without torch);
they are re-exported here, where the engine and the CLI have always found ``find_class``.
"""

from __future__ import annotations

from viewer.core.class_search import (
    find_class,
    full_names,
    imagenet_full_names,
    is_imagenet,
    search_classes,
)

__all__ = ["find_class", "full_names", "imagenet_full_names", "is_imagenet", "search_classes"]
