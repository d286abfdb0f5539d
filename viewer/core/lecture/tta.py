"""Krizhevsky et al.'s test-time augmentation, as pixel boxes (plain Python: the GUI draws them, the engine cuts them).

The paper (ImageNet classification with deep CNNs, 2012, section 4.1): "At test time, the network makes a
prediction by extracting five 224 × 224 patches (the four corner patches and the center patch) as well as their
horizontal reflections (hence ten patches in all), and averaging the predictions made by the network's softmax
layer on the ten patches." The patches come from the central 256 × 256 patch of the image rescaled so that its
shorter side is 256 (section 2). By default (``paper``) the shorter side is 256 for a 224 crop whatever the weights'
own resize (232 for MobileNetV2's IMAGENET1K_V2), and the same 256 : 224 ratio for other crop sizes; ``weights``
uses the weights' resize size instead (what this app did before).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "AVERAGES",
    "CORNER_TAGS",
    "TTA_RESIZES",
    "CropBox",
    "resized_size",
    "ten_crop_boxes",
    "tta_description",
    "tta_resize_size",
]

# "probs": the paper's average of the softmax outputs (the default); "logits": softmax of the averaged logits
# (what this app did before, and what some libraries do).
AVERAGES = ("probs", "logits")
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right", "centre")
# The short labels a view draws on its picture.
CORNER_TAGS = {"top-left": "TL", "top-right": "TR", "bottom-left": "BL", "bottom-right": "BR", "centre": "C"}
# "paper": the shorter side 256 for a 224 crop (Krizhevsky et al.), "weights": the weights' own resize size.
TTA_RESIZES = ("paper", "weights")
PAPER_RESIZE, PAPER_CROP = 256, 224


def tta_resize_size(mode: str, resize_size: int, crop_size: int) -> int:
    """The shorter side the image is rescaled to before the ten views are cut (see ``TTA_RESIZES``)."""
    if mode == "weights":
        return resize_size
    if mode != "paper":
        raise ValueError(f"unknown TTA resize {mode!r}; use one of {', '.join(TTA_RESIZES)}")
    return round(crop_size * PAPER_RESIZE / PAPER_CROP)


@dataclass(frozen=True)
class CropBox:
    """One of the ten views: where it was cut, and whether it was mirrored left-right afterwards."""

    name: str  # "top-left", "top-right", "bottom-left", "bottom-right" or "centre"
    mirrored: bool
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the rescaled image's pixels (x1, y1 exclusive)
    image_box: tuple[float, float, float, float]  # the same box in the original image's pixels

    @property
    def label(self) -> str:
        return f"{self.name}, mirrored" if self.mirrored else self.name

    @property
    def tag(self) -> str:
        """The short label a view draws: TL, TR, C, BL, BR, or with " mirrored" (``TL mirrored``)."""
        return f"{CORNER_TAGS[self.name]} mirrored" if self.mirrored else CORNER_TAGS[self.name]


def tta_description(geometry: Mapping[str, object] | None, average: str | None) -> str:
    """How the ten views were made, for a header or a provenance line: ``probs averaged; shorter side 256 (the
    paper's), central 256² square, 224² views``; the CLI and the window say it in the same words."""
    geometry = geometry or {}
    resize = geometry.get("resize")
    whose = " (the paper's)" if resize == "paper" else " (the weights' resize)" if resize == "weights" else ""
    return (
        f"{average or 'probs'} averaged; shorter side {geometry.get('short_side')}{whose}, "
        f"central {geometry.get('square')}² square, {geometry.get('crop')}² views"
    )


def resized_size(image_size: tuple[int, int], short_side: int) -> tuple[int, int]:
    """(width, height) after resizing the shorter side to ``short_side``, rounded as torchvision rounds it."""
    width, height = image_size
    if width <= height:
        return short_side, int(short_side * height / width)
    return int(short_side * width / height), short_side


def ten_crop_boxes(image_size: tuple[int, int], resize_size: int, crop_size: int) -> tuple[CropBox, ...]:
    """The paper's ten boxes for an image of ``image_size`` (width, height).

    The image is rescaled so that its shorter side is ``resize_size``; the central ``resize_size`` square is cut
    (offsets rounded as torchvision's ``center_crop`` rounds them); the four ``crop_size`` corners of that square
    and its centre are the five views, then the same five mirrored. With 256 and 224, a 512 × 384 image gives a
    341 × 256 rescaled image, the square at x 42..298, and the top-left view at (42, 0, 266, 224).
    """
    width, height = image_size
    resized_w, resized_h = resized_size(image_size, resize_size)
    patch = max(resize_size, crop_size)  # a crop larger than the square takes the square's size
    left = round((resized_w - patch) / 2.0)
    top = round((resized_h - patch) / 2.0)
    inner = round((patch - crop_size) / 2.0)
    far = patch - crop_size
    origins = ((0, 0), (far, 0), (0, far), (far, far), (inner, inner))
    scale_x, scale_y = width / resized_w, height / resized_h
    boxes = []
    for mirrored in (False, True):
        for name, (dx, dy) in zip(CORNERS, origins, strict=True):
            x0, y0 = left + dx, top + dy
            box = (x0, y0, x0 + crop_size, y0 + crop_size)
            image_box = (box[0] * scale_x, box[1] * scale_y, box[2] * scale_x, box[3] * scale_y)
            boxes.append(CropBox(name, mirrored, box, image_box))
    return tuple(boxes)
