"""Finding classes by index, by name and by WordNet synonym: plain Python, so the GUI thread may use it.

``find_class`` resolves one class (``--class``, the heatmap's class picker); ``search_classes`` lists every
class a typed text may mean (the picker's list as the user types). ImageNet-1k classes also match on their
WordNet synonyms (``resources/imagenet_synset_words.txt``: "German shepherd, German shepherd dog, German police
dog, alsatian") and on one group word, "dog", for the 118 dog breeds (see ``_IMAGENET_GROUPS``).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence

from viewer.core.errors import ModelError
from viewer.core.resources import bundled_path

__all__ = ["find_class", "full_names", "imagenet_full_names", "is_imagenet", "search_classes"]

SYNSET_FILE = "imagenet_synset_words.txt"

# Words that name a WordNet ancestor of many ImageNet classes whose own synonyms do not say it: the synset file
# has no hypernyms, and only 13 of the dog breeds carry "dog" in their synonyms ("Weimaraner" does not). In
# WordNet, ImageNet-1k's descendants of dog.n.01 (the domestic dog) are the contiguous indices 151-268, wnids
# n02085620 (Chihuahua) to n02113978 (Mexican hairless); tests/engine/test_class_search.py checks both ends
# against the synset file. Wolves, foxes and the African hunting dog (269-280) are other canids, not dogs.
_IMAGENET_GROUPS: dict[str, range] = {"dog": range(151, 269)}


@functools.lru_cache(maxsize=1)
def imagenet_full_names() -> tuple[str, ...]:
    """The 1000 ImageNet-1k classes' WordNet words, in torchvision's index order ("barrow, garden cart, ...")."""
    lines = bundled_path(SYNSET_FILE).read_text(encoding="utf-8").splitlines()
    return tuple(line.partition(" ")[2].strip() for line in lines if line.strip())


def is_imagenet(categories: Sequence[str]) -> bool:
    """True for torchvision's 1000 ImageNet-1k categories (by count and both ends of the list)."""
    return len(categories) == 1000 and categories[0].lower() == "tench" and categories[-1].lower() == "toilet tissue"


def full_names(categories: Sequence[str]) -> tuple[str, ...]:
    """Each class's full name: its WordNet words for ImageNet-1k, else the category names as they are."""
    return imagenet_full_names() if is_imagenet(categories) else tuple(categories)


def search_classes(categories: Sequence[str], text: str) -> list[int]:
    """The indices of the classes that ``text`` may mean, best first.

    A class matches when ``text`` (case-insensitive, surrounding spaces ignored) is its index, or a substring of
    its name or, for ImageNet-1k, of one of its WordNet synonyms; "dog" or "dogs" also lists the 118 dog breeds.
    An empty text lists every class. Order: exact names and synonyms, then classes where ``text`` is a whole word
    (and the group's members), then where it starts a word, then the rest; each in index order. So "cat" lists
    "tabby cat" and "tiger cat" before "bullfrog" (whose synonym "Rana catesbeiana" starts with it).

    Args:
        categories: the model's class names, in index order.
        text: what the user typed.
    """
    wanted = text.strip().casefold()
    if not wanted:
        return list(range(len(categories)))
    imagenet = is_imagenet(categories)
    names = [name.casefold() for name in categories]
    synonyms = [name.casefold() for name in imagenet_full_names()] if imagenet else names
    group = _IMAGENET_GROUPS.get(wanted.removesuffix("s"), range(0)) if imagenet else range(0)
    whole_word = re.compile(r"(?:^|\W)" + re.escape(wanted) + r"(?:$|\W)")
    word_start = re.compile(r"(?:^|\W)" + re.escape(wanted))
    ranks: list[list[int]] = [[], [], [], []]
    for i, (name, words) in enumerate(zip(names, synonyms, strict=True)):
        if (
            name == wanted
            or wanted in (w.strip() for w in words.split(","))
            or (wanted.isdecimal() and int(wanted) == i)
        ):
            ranks[0].append(i)
        elif whole_word.search(name) or whole_word.search(words) or i in group:
            ranks[1].append(i)
        elif word_start.search(name) or word_start.search(words):
            ranks[2].append(i)
        elif wanted in name or wanted in words:
            ranks[3].append(i)
    return [i for rank in ranks for i in rank]


def find_class(categories: Sequence[str], wanted: str | int, model_name: str = "this model") -> int:
    """The index of a class given by index or by name (case-insensitive), or a ``ModelError`` that says
    what exists and suggests close names."""
    if isinstance(wanted, bool):  # True is an int to Python, not a class to the user
        raise ModelError(f"{wanted!r} is not a class of {model_name}.")
    text = str(wanted).strip()
    if isinstance(wanted, int) or (text.isdecimal() and text.isascii()):
        index = int(wanted)
        if 0 <= index < len(categories):
            return index
        raise ModelError(f"class {index}: {model_name} has {len(categories)} classes (0-{len(categories) - 1}).")
    lowered = [name.lower() for name in categories]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    close = difflib.get_close_matches(text, list(categories), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else f" Use 0-{len(categories) - 1} or a class name."
    raise ModelError(f"{text!r} is not a class of {model_name}.{hint}")
