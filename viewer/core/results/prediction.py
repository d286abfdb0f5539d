"""A classification of one image: the top-k classes with logits and probabilities, and what the network saw."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from viewer.core.lecture.tta import CropBox
from viewer.core.network.input import InputSpec

__all__ = ["Prediction", "TopClass", "denormalized"]


@dataclass(frozen=True)
class TopClass:
    index: int
    name: str
    logit: float
    prob: float


@dataclass
class Prediction:
    """What a network says about one image."""

    image: str
    model: str
    weights: str  # weights label: enum name, file name + sha256, or "random init ..."
    weights_sha256: str | None
    pretrained: bool
    device: str
    preprocess: str
    tta: bool
    topk: list[TopClass]
    logits: np.ndarray  # float32 (num_classes,), averaged over the ten views with TTA
    probs: np.ndarray  # float32 (num_classes,): with TTA the average of the views' softmax (or see tta_average)
    network_input: np.ndarray | None  # float32 CxHxW: the (centre) view as the network got it; None once shown
    input_spec: InputSpec
    timings_ms: dict[str, float] = field(default_factory=dict)
    tta_average: str | None = None  # with TTA: "probs" (the paper's) or "logits"
    tta_crops: tuple[CropBox, ...] = ()  # with TTA: the ten views' boxes, in the order of ``tta_seen``
    tta_seen: list[np.ndarray] | None = None  # with TTA and for_display: the ten views as uint8 images
    recipe: dict[str, object] = field(default_factory=dict)  # the resize, crop, interpolation, mean, std applied
    # With TTA: {"resize": "paper" or "weights", "short_side": 256, "square": 256, "crop": 224}
    tta_geometry: dict[str, object] | None = None

    @cached_property
    def seen(self) -> np.ndarray:
        """uint8 HxWxC (or HxW): ``network_input`` de-normalised for display.

        Made on first use, so that classifying without showing it (the CLI, batch exports) does not pay for it.
        """
        if self.network_input is None:
            raise ValueError("the network input was dropped before `seen` was made (classify's for_display)")
        return denormalized(self.network_input, self.input_spec, self.preprocess)

    def as_dict(self) -> dict[str, object]:
        """The JSON form used by ``viewer classify --json``."""
        return {
            "image": self.image,
            "model": self.model,
            "weights": self.weights,
            "weights_sha256": self.weights_sha256,
            "pretrained": self.pretrained,
            "device": self.device,
            "preprocess": self.preprocess,
            "recipe": self.recipe,
            "tta": self.tta,
            "tta_average": self.tta_average,
            "tta_geometry": self.tta_geometry,
            "tta_crops": [
                {"view": c.label, "tag": c.tag, "box": list(c.box), "image_box": [round(v, 2) for v in c.image_box]}
                for c in self.tta_crops
            ],
            "topk": [{"index": t.index, "name": t.name, "logit": t.logit, "prob": t.prob} for t in self.topk],
            "timings_ms": self.timings_ms,
        }


def denormalized(network_input: np.ndarray, spec: InputSpec, preset: str = "weights") -> np.ndarray:
    """What the network sees (float32 CxHxW, normalised) as an 8-bit HxWxC (or HxW) array for display.

    The same arithmetic as the engine's ``denormalize`` (float32 ``x·std + mean``, clamped, ×255, rounded), in
    numpy, so that the window can make it without torch.
    """
    data = np.asarray(network_input, dtype=np.float32)
    if preset == "standardize":
        data = np.clip(data, 0, 1)
    else:
        mean = np.asarray(spec.mean, dtype=np.float32).reshape(-1, 1, 1)
        std = np.asarray(spec.std, dtype=np.float32).reshape(-1, 1, 1)
        data = np.clip(data * std + mean, 0, 1)
    array = (data * 255).round().astype(np.uint8)
    return array[0] if array.shape[0] == 1 else np.ascontiguousarray(array.transpose(1, 2, 0))
