"""Classify pipeline (load + preprocess + forward + top-k) against the same steps written with torchvision."""

from __future__ import annotations

import torch
from PIL import Image
from torchvision import models as tv_models

from viewer.bench.common import Row, best_of_interleaved, sample_image

__all__ = ["bench_classify"]

MODELS = ("alexnet", "vgg19", "resnet50", "googlenet")


def bench_classify(*, quick: bool = False, device: str = "cpu") -> list[Row]:
    repeats = 3 if quick else 7
    # One function call per model: its closures bind that model only, and it is freed before the next loads.
    return [_classify_row(name, device, repeats) for name in MODELS]


def _classify_row(name: str, device: str, repeats: int) -> Row:
    from viewer.engine.inference import classify
    from viewer.engine.models.weights import load_model

    path = sample_image()
    loaded = load_model(name, "none", device=device)
    model = loaded.model
    transform = tv_models.get_model_weights(name).DEFAULT.transforms()

    def bare() -> None:
        image = Image.open(path).convert("RGB")
        batch = transform(image).unsqueeze(0).to(device)
        with torch.inference_mode():
            probs = model(batch).softmax(dim=1)
        probs.topk(5)[1].tolist()

    def ours() -> None:
        classify([str(path)], loaded, topk=5)

    reference, measured = best_of_interleaved(bare, ours, repeats)
    ratio = measured / reference
    return Row("classify", name, f"{measured * 1e3:.1f} ms", f"{reference * 1e3:.1f} ms", ratio, "≤1.05", ratio <= 1.05)
