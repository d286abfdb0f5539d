"""The dense heatmap's overhead: a whole 3-scale MobileNetV2 heatmap against the bare network at the same sizes.

Ours: :func:`viewer.engine.heatmap.dense.run_heatmap` on a 500×500 photo already loaded, model warm, class given
(no whole-image classification), so everything a heatmap adds around the dense passes is counted: resizing and
normalising per scale, the per-cell softmax, placing each grid on the image and fusing the scales.

Reference: torchvision's own ``model.features`` followed by the classifier's weights as a 1×1 convolution, on
the same network inputs prepared beforehand (channels-last, as the heatmap feeds oneDNN, so that the layout
is not counted as our gain). The two run alternately, best of each. Goal: ≤ 1.05.

The heatmap runs the dense network with its BatchNorms folded into the convolutions and each convolution's
ReLU/ReLU6 fused, on weights reordered once (:mod:`viewer.engine.heatmap.fold`); the reference stays
torchvision's trunk as it is, so that gain is counted as the app's. Without it the heatmap's own work
(resizing, normalising, softmax, placement, fusion) costs a few per cent over its dense passes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from viewer.bench.common import Row, best_of_interleaved, sample_image

__all__ = ["HEATMAP_GOAL", "bench_heatmap_overhead"]

HEATMAP_GOAL = 1.05
SCALES = (1.0, 1.4, 2.0)
PHOTO_SIDE = 500


def _photo() -> Path:
    from PIL import Image

    path = Path(tempfile.gettempdir()) / f"viewer-bench-photo-{PHOTO_SIDE}.jpg"
    if not path.exists():
        with Image.open(sample_image()) as source:
            source.convert("RGB").resize((PHOTO_SIDE, PHOTO_SIDE)).save(path, quality=92)
    return path


def _weights() -> str:
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "weights" / "mobilenet_v2_imagenet1k.pth"
    return str(shared) if shared.exists() else "none"  # timings do not depend on the values


def bench_heatmap_overhead(*, quick: bool = False, device: str = "cpu") -> list[Row]:
    """One row: heatmap time / bare trunk + 1×1 classifier time at the same input sizes."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    from viewer.engine.heatmap.dense import _image_tensor, _network_input, run_heatmap
    from viewer.engine.images import load_image
    from viewer.engine.models.weights import load_model

    loaded = load_model("mobilenet_v2", _weights(), device=device, seed=0)
    image = load_image(_photo())
    first = run_heatmap(loaded, image, class_index=0, scales=SCALES)  # builds the dense network: not timed
    source = _image_tensor(image, loaded.input.channels, loaded.device)
    inputs = [_network_input(source, size, loaded.input) for size in first.input_sizes]
    trunk, linear = loaded.model.get_submodule("features"), loaded.model.get_submodule("classifier.1")
    assert isinstance(linear, nn.Linear)  # MobileNetV2's classifier: Dropout, Linear
    kernel = linear.weight[:, :, None, None]

    def synchronise() -> None:
        if loaded.device.type == "cuda":
            torch.cuda.synchronize(loaded.device)

    def bare() -> None:
        with torch.inference_mode():
            for batch in inputs:
                F.conv2d(trunk(batch), kernel, linear.bias)
        synchronise()

    def ours() -> None:
        run_heatmap(loaded, image, class_index=0, scales=SCALES)
        synchronise()

    reference_s, ours_s = best_of_interleaved(bare, ours, repeats=3 if quick else 9)
    ratio = ours_s / reference_s
    sizes = "/".join(str(min(size)) for size in first.input_sizes)
    return [
        Row(
            "dense",
            f"mobilenet_v2 {len(SCALES)}-scale heatmap, {PHOTO_SIDE}² photo (short sides {sizes})",
            f"heatmap {ours_s * 1e3:.0f} ms",
            f"trunk + 1×1 classifier {reference_s * 1e3:.0f} ms",
            ratio,
            f"≤{HEATMAP_GOAL:.2f}",
            ratio <= HEATMAP_GOAL,
        )
    ]
