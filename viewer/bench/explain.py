"""The cost of explanations and comparisons against the bare network work they contain, measured in one run.

- occlusion: :func:`viewer.engine.explain.occlusion.occlusion_sweep` on a 224² MobileNetV2 input, 32-px patch,
  stride 8 (625 occluded images), against one batched forward of the *same* occluded images, prepared
  beforehand, in the same batch size, softmax included, the two timed batch by batch alternately
  (:func:`~viewer.bench.common.best_of_stepwise`: a whole run lasts tens of seconds on a slow CPU, long
  enough for a burst of load on a shared machine to fall on one side only). Goal ≤ 1.10: building masks and
  occluded images and accumulating the map may add at most 10 %.
- Grad-CAM: the whole :func:`viewer.engine.explain.methods.explain` job (resize, Captum's ``LayerGradCam``,
  upsampling to the image) on a 224² photo, against one forward and one backward to the input of the same network on the
  same input prepared beforehand. Goal ≤ 1.20.
- compare: :func:`viewer.engine.compare.compare` of three loaded networks (preprocessing, a warm-up and
  ``runs`` timed passes each, top-k), against the same number of bare forwards of the three on inputs prepared
  beforehand. Goal ≤ 1.10.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from viewer.bench.common import Row, best_of_interleaved, best_of_stepwise, sample_image

__all__ = ["COMPARE_GOAL", "GRADCAM_GOAL", "OCCLUSION_GOAL", "bench_explain"]

OCCLUSION_GOAL, GRADCAM_GOAL, COMPARE_GOAL = 1.10, 1.20, 1.10
SIDE, PATCH, STRIDE, BATCH = 224, 32, 8, 64
COMPARED = ("alexnet", "resnet18", "googlenet")


def _weights() -> str:
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "weights" / "mobilenet_v2_imagenet1k.pth"
    return str(shared) if shared.exists() else "none"  # timings do not depend on the values


def _photo() -> Path:
    from PIL import Image

    path = Path(tempfile.gettempdir()) / f"viewer-bench-photo-{SIDE}.png"
    if not path.exists():
        with Image.open(sample_image()) as source:
            source.convert("RGB").resize((SIDE, SIDE)).save(path)
    return path


def _synchroniser(device: str):
    import torch

    def synchronise() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    return synchronise


def bench_explain(*, quick: bool = False, device: str = "cpu") -> list[Row]:
    """Three rows: occlusion, Grad-CAM and compare, each a ratio against its bare-network reference."""
    from viewer.engine.images import load_image
    from viewer.engine.models.weights import load_model

    loaded = load_model("mobilenet_v2", _weights(), device=device, seed=0)
    image = load_image(_photo())
    repeats = 1 if quick else 5
    return [
        _occlusion_row(loaded, 2 if quick else 3, device),
        _gradcam_row(loaded, image, repeats * 3, device),
        _compare_row(image, max(3, repeats), device),
    ]


def _occlusion_row(loaded, repeats: int, device: str) -> Row:
    import torch

    from viewer.engine.explain.occlusion import occlusion_origins, occlusion_sweep

    synchronise = _synchroniser(device)
    x = torch.randn(1, 3, SIDE, SIDE, device=loaded.device)
    origins = occlusion_origins(SIDE, PATCH, STRIDE)
    occluded = x.repeat(len(origins) ** 2, 1, 1, 1)
    for n, (y0, x0) in enumerate((y, x_) for y in origins for x_ in origins):  # prepared once, not timed
        occluded[n, :, y0 : y0 + PATCH, x0 : x0 + PATCH] = 0
    model = loaded.model

    def bare() -> Iterator[None]:
        # The same steps as the sweep: a start, the unoccluded image, then one batch per step. Inference mode is
        # entered within each step, never across a yield: the sweep's own holds across its yields, and two
        # interleaved holders would restore each other's state out of order, leaving it on for what follows.
        yield
        with torch.inference_mode():
            torch.softmax(model(x), dim=1)
            synchronise()
        for start in range(0, occluded.shape[0], BATCH):
            yield
            with torch.inference_mode():
                torch.softmax(model(occluded[start : start + BATCH]), dim=1)[:, 1]
                synchronise()

    def ours() -> Iterator[object]:
        for step in occlusion_sweep(model, x, 1, patch=PATCH, stride=STRIDE, batch_size=BATCH):
            synchronise()
            yield step
        synchronise()

    reference_s, ours_s = best_of_stepwise(bare, ours, repeats=repeats)
    ratio = ours_s / reference_s
    return Row(
        "explain",
        f"occlusion, mobilenet_v2 {SIDE}², {PATCH}-px patch, stride {STRIDE} "
        f"({occluded.shape[0]} images, batch {BATCH})",
        f"occlusion {ours_s * 1e3:.0f} ms",
        f"batched forward of the same images {reference_s * 1e3:.0f} ms",
        ratio,
        f"≤{OCCLUSION_GOAL:.2f}",
        ratio <= OCCLUSION_GOAL,
    )


def _gradcam_row(loaded, image, repeats: int, device: str) -> Row:
    import torch

    from viewer.engine.explain.input import explain_input
    from viewer.engine.explain.methods import run_explain

    synchronise = _synchroniser(device)
    prepared = explain_input(loaded, image).tensor
    model = loaded.model

    def bare() -> None:
        with torch.enable_grad():  # as the engine's explanation does, whatever mode the caller left
            x = prepared.detach().clone().requires_grad_(True)
            torch.autograd.grad(model(x)[0, 1], x)
        synchronise()

    def ours() -> None:
        run_explain(loaded, image, "gradcam", class_index=1)
        synchronise()

    reference_s, ours_s = best_of_interleaved(bare, ours, repeats=repeats)
    ratio = ours_s / reference_s
    return Row(
        "explain",
        f"Grad-CAM, mobilenet_v2, {SIDE}² photo (whole job: resize, LayerGradCam, upsampling)",
        f"Grad-CAM {ours_s * 1e3:.1f} ms",
        f"forward + backward to the input {reference_s * 1e3:.1f} ms",
        ratio,
        f"≤{GRADCAM_GOAL:.2f}",
        ratio <= GRADCAM_GOAL,
    )


def _compare_row(image, repeats: int, device: str) -> Row:
    import torch

    from viewer.core.progress import run_job
    from viewer.engine.compare import compare
    from viewer.engine.images import preprocess
    from viewer.engine.models.weights import load_model

    synchronise = _synchroniser(device)
    runs = 3
    networks = [load_model(name, "none", device=device, seed=0) for name in COMPARED]
    inputs = [preprocess(image, n.input, "weights").unsqueeze(0).to(n.device) for n in networks]

    def bare() -> None:
        with torch.inference_mode():
            for network, batch in zip(networks, inputs, strict=True):
                for _ in range(1 + runs):  # compare's warm-up pass and its timed passes
                    network.model(batch)
                    synchronise()

    def ours() -> None:
        run_job(compare(networks, image, runs=runs))
        synchronise()

    reference_s, ours_s = best_of_interleaved(bare, ours, repeats=repeats)
    ratio = ours_s / reference_s
    return Row(
        "explain",
        f"compare {', '.join(COMPARED)} ({1 + runs} passes each: warm-up + {runs} timed)",
        f"compare {ours_s * 1e3:.0f} ms",
        f"the same bare forwards {reference_s * 1e3:.0f} ms",
        ratio,
        f"≤{COMPARE_GOAL:.2f}",
        ratio <= COMPARE_GOAL,
    )
