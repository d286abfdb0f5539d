"""Class search: substring over short names and WordNet synonyms, "dog" for the dog breeds, full names."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from torchvision.models import MobileNet_V2_Weights

from viewer.core.class_search import (
    find_class,
    full_names,
    imagenet_full_names,
    is_imagenet,
    search_classes,
)

ROOT = Path(__file__).resolve().parents[2]
IMAGENET = tuple(MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"])


def test_the_bundled_synset_words_are_the_shared_file_in_torchvisions_order(shared_data) -> None:
    assert filecmp.cmp(
        ROOT / "resources/imagenet_synset_words.txt", shared_data / "labels/imagenet_synset_words.txt", shallow=False
    )
    names = imagenet_full_names()
    assert len(names) == 1000 and is_imagenet(IMAGENET)
    assert names[IMAGENET.index("Weimaraner")] == "Weimaraner"
    assert names[IMAGENET.index("barrow")] == "barrow, garden cart, lawn cart, wheelbarrow"
    # The same order: torchvision's short name is within its class's WordNet words for 998 of the 1000 classes.
    agree = sum(short.lower() in full.lower() for short, full in zip(IMAGENET, names, strict=True))
    assert agree == 998


def test_dog_lists_the_118_breeds_and_the_other_classes_that_say_dog() -> None:
    lines = (ROOT / "resources/imagenet_synset_words.txt").read_text().splitlines()
    assert lines[151].startswith("n02085620 Chihuahua") and lines[268].startswith("n02113978 Mexican hairless")
    found = search_classes(IMAGENET, "dog")
    assert set(range(151, 269)) <= set(found)  # every breed, "Weimaraner" (208) included
    others = sorted(set(found) - set(range(151, 269)))
    # Not breeds, but their WordNet words contain "dog": African hunting dog, dogsled, hotdog.
    assert [IMAGENET[i] for i in others] == ["African hunting dog", "dogsled", "hotdog"]
    assert [IMAGENET[i] for i in found[118:]] == ["African hunting dog", "dogsled", "hotdog"]
    assert len(found) == 121 and found[:118] == list(range(151, 269))  # all the dogs first, in index order
    assert search_classes(IMAGENET, "  Dogs ") == search_classes(IMAGENET, "dogs")
    dogs = search_classes(IMAGENET, "dogs")  # the group word's plural; of the names only "dogsled" says "dogs"
    assert len(dogs) == 119 and "dogsled" in {IMAGENET[i] for i in dogs}


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("alsatian", "German shepherd"),  # a synonym only
        ("garden cart", "barrow"),
        ("wheelbarrow", "barrow"),
        ("cat", "tabby"),  # "tabby, tabby cat" (281): a word starts with "cat"; "bullfrog" (Rana catesbeiana) later
        ("207", "golden retriever"),
    ],
)
def test_synonyms_and_indices_find_their_class(text, first) -> None:
    assert IMAGENET[search_classes(IMAGENET, text)[0]] == first


def test_cat_lists_the_cats_before_names_that_merely_contain_it() -> None:
    found = [IMAGENET[i] for i in search_classes(IMAGENET, "cat")]
    assert found[:5] == ["tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"]
    assert found.index("bullfrog") > found.index("Egyptian cat")


def test_other_models_search_their_own_names_only() -> None:
    cifar = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    assert search_classes(cifar, "dog") == [5] and search_classes(cifar, "o") == [1, 5, 6, 7]
    assert search_classes(cifar, "") == list(range(10)) and full_names(cifar) == cifar
    assert search_classes(cifar, "wolf") == []
    assert find_class(cifar, "Dog") == 5
