"""Finding a class by index or name, with sentences that say what exists."""

from __future__ import annotations

import pytest

from viewer.core.class_search import find_class
from viewer.core.errors import ModelError

CIFAR = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@pytest.mark.parametrize("wanted, index", [(3, 3), ("3", 3), (" 9 ", 9), ("Truck", 9), ("dog", 5)])
def test_index_or_name_finds_the_class(wanted, index) -> None:
    assert find_class(CIFAR, wanted, "resnet20") == index


def test_an_index_out_of_range_says_how_many_classes_there_are() -> None:
    with pytest.raises(ModelError, match=r"class 10: resnet20 has 10 classes \(0-9\)\."):
        find_class(CIFAR, 10, "resnet20")


def test_an_unknown_name_suggests_close_ones() -> None:
    with pytest.raises(ModelError, match=r"'horce' is not a class of resnet20\. Did you mean horse"):
        find_class(CIFAR, "horce", "resnet20")
    with pytest.raises(ModelError, match=r"Use 0-9 or a class name"):
        find_class(CIFAR, "zebra crossing", "resnet20")


@pytest.mark.parametrize("wanted", ["²", True, "٣"])  # a superscript and an Arabic-Indic digit are not indices
def test_look_alikes_of_numbers_are_sentences_not_crashes(wanted) -> None:
    with pytest.raises(ModelError, match="is not a class of resnet20"):
        find_class(CIFAR, wanted, "resnet20")
