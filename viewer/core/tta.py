"""Krizhevsky et al.'s test-time augmentation, as pixel boxes (plain Python: the GUI draws them, the engine cuts them).

The paper (ImageNet classification with deep CNNs, 2012, section 4.1): "At test time, the network makes a
prediction by extracting five 224 × 224 patches (the four corner patches and the center patch) as well as their
horizontal reflections (hence ten patches in all), and averaging the predictions made by the network's softmax
layer on the ten patches." The patches come from the central 256 × 256 patch of the image rescaled so that its
shorter side is 256 (section 2). Here 256 and 224 are the weights' own resize and crop sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AVERAGES", "CropBox", "resized_size", "ten_crop_boxes"]

# "probs": the paper's average of the softmax outputs (the default); "logits": softmax of the averaged logits
# (what this app did before, and what some libraries do).
AVERAGES = ("probs", "logits")
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right", "centre")


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
