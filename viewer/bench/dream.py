"""The optimised image (``viewer dream``, issue 23) against the bare network work it contains, measured in one run.

- optimised image: :func:`viewer.engine.optimise.job.optimise_channel` of MobileNetV2's ``features.10`` (one
  channel), ``STEPS`` steps at 224², against as many bare forward + backward passes of the same network at the
  same size on an input prepared beforehand: ``features[:11]`` (the network as far as the layer, where the job
  stops it too), the channel's mean, ``torch.autograd.grad`` to the input. The two are timed step by step
  alternately (:func:`~viewer.bench.common.best_of_stepwise`: a burst of load on a shared machine hits both).
  Goal ≤ 1.3: the Fourier image, the random transformation, the normalisation and Adam may add at most 30 %.
- the same job against as many forward + backward passes of the *whole* network (one logit back to the input),
  not judged: what running only up to the layer saves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from viewer.bench.common import Row, best_of, best_of_stepwise

__all__ = ["DREAM_GOAL", "bench_dream"]

DREAM_GOAL = 1.3
SIDE, LAYER, CHANNEL = 224, "features.10", 7
STEPS, QUICK_STEPS = 256, 32


def _weights() -> str:
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "weights" / "mobilenet_v2_imagenet1k.pth"
    return str(shared) if shared.exists() else "none"  # timings do not depend on the values


def bench_dream(*, quick: bool = False, device: str = "cpu") -> list[Row]:
    """Two rows: the optimised image against the bare passes to its layer (judged) and through the whole network."""
    import torch

    from viewer.engine.models.weights import load_model
    from viewer.engine.optimise.job import optimise_channel

    loaded = load_model("mobilenet_v2", _weights(), device=device, seed=0)
    model, steps = loaded.model, QUICK_STEPS if quick else STEPS
    prepared = torch.randn(1, 3, SIDE, SIDE, device=loaded.device)
    # MobileNetV2's trunk is a Sequential: its first eleven blocks are the network as far as features.10.
    to_layer = torch.nn.Sequential(*list(model.get_submodule("features").children())[:11])

    def synchronise() -> None:
        if loaded.device.type == "cuda":
            torch.cuda.synchronize()

    def bare_pass(network: torch.nn.Module, value: str) -> None:
        with torch.inference_mode(False), torch.enable_grad():  # as the job does, whatever mode the caller left
            x = prepared.detach().clone().requires_grad_(True)
            output = network(x)
            objective = output[0, CHANNEL].mean() if value == "channel" else output[0, 1]
            torch.autograd.grad(objective, x)
        synchronise()

    def bare() -> Iterator[None]:
        yield  # the job's first step: its set-up and the first image's value
        for _ in range(steps):
            bare_pass(to_layer, "channel")
            yield

    def ours() -> Iterator[object]:
        for step in optimise_channel(loaded, LAYER, CHANNEL, steps=steps, size=SIDE, seed=0):
            synchronise()
            yield step
        synchronise()

    reference_s, ours_s = best_of_stepwise(bare, ours, repeats=1 if quick else 2)
    ratio = ours_s / reference_s
    whole_s = best_of(lambda: bare_pass(model, "logit"), repeats=3 if quick else 8) * steps
    case = f"optimised image, mobilenet_v2 {LAYER} channel {CHANNEL}, {steps} steps at {SIDE}²"
    return [
        Row(
            "dream",
            case,
            f"optimised image {ours_s:.2f} s",
            f"{steps} forward + backward passes to {LAYER} {reference_s:.2f} s",
            ratio,
            f"≤{DREAM_GOAL:.2f}",
            ratio <= DREAM_GOAL,
        ),
        Row(
            "dream",
            f"{case}, against the whole network",
            f"optimised image {ours_s:.2f} s",
            f"{steps} whole-network forward + backward passes {whole_s:.2f} s (best of one, times {steps})",
            ours_s / whole_s,
            "-",
            None,
        ),
    ]
