"""The optimised image of one channel as a job: a generator that yields ``Progress`` after every step of Adam and
returns an :class:`~viewer.core.results.optimised.OptimisedImage`.

Each step: the Fourier image (:mod:`~viewer.engine.optimise.image`) in pixel space [0, 1], a random shift, scale
and rotation of it (:mod:`~viewer.engine.optimise.robustness`), the network's own normalisation (its weights'
mean and std), the network run only as far as the chosen layer, the channel's mean over its map (the element itself
after a Linear: a class logit for the output) maximised by one Adam step on the spectrum. Only the spectrum's
gradient is computed (``torch.autograd.grad``), never the weights'. One seeded CPU generator draws the first
spectrum and every step's transformation, so a seed gives the same image (bit for bit on the CPU; a GPU's
convolutions and resampling may add rounding differences between runs).

Cancelling is closing the generator between two steps; nothing is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.utils._pytree import tree_leaves

from viewer.core.errors import ModelError
from viewer.core.progress import Job, Progress, time_left
from viewer.core.results.optimised import OptimisedImage, unit_title
from viewer.engine.atlas.job import layer_geometry
from viewer.engine.optimise.image import FourierImage
from viewer.engine.optimise.robustness import PAD_VALUE, RandomAffine
from viewer.engine.summary import summarize

if TYPE_CHECKING:
    from viewer.engine.models.weights import LoadedModel

__all__ = ["DEFAULT_LEARNING_RATE", "DEFAULT_STEPS", "LayerObjective", "optimise_channel"]

DEFAULT_STEPS = 256
DEFAULT_LEARNING_RATE = 0.05  # Lucid's and torch-lucent's Adam
REPORT_EVERY = 8  # steps between two readings of the objective for the progress message (a GPU sync each)
MIN_SIZE = 16


class _Reached(Exception):
    """Raised by the hook once the layer's output is taken: the rest of the network is not needed."""


class LayerObjective:
    """``channel`` of ``layer``'s output for a batch, running the network only as far as that layer.

    The value is the channel's mean over its map for a (N, C, H, W) output, the element ``channel`` of the
    flattened output otherwise (one value per image). The hook is registered for one call and removed after it,
    so that none is left on the shared model while the job waits between two steps.
    """

    def __init__(self, model: nn.Module, layer: str, channel: int) -> None:
        try:
            self.module = model.get_submodule(layer)
        except AttributeError:
            raise ModelError(f"{layer!r} is not a module of the network, so its output cannot be optimised.") from None
        self.model, self.layer, self.channel = model, layer, channel

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        taken: list[torch.Tensor] = []

        def take(_module: nn.Module, _args: Any, output: Any) -> None:
            tensor = next((leaf for leaf in tree_leaves(output) if isinstance(leaf, torch.Tensor)), None)
            if tensor is not None:
                taken.append(tensor)
                # Stopping here also means no in-place op after the layer (a ReLU) can change the taken output.
                raise _Reached

        handle = self.module.register_forward_hook(take)
        try:
            self.model(batch)
        except _Reached:
            pass
        finally:
            handle.remove()
        if not taken:
            raise ModelError(f"Layer {self.layer!r} gave no tensor output, so it has nothing to optimise.")
        output = taken[0]
        if output.dim() == 4:
            return output[:, self.channel].mean(dim=(1, 2))
        return output.flatten(1)[:, self.channel]


def optimise_channel(
    loaded: LoadedModel,
    layer: str,
    channel: int,
    *,
    steps: int = DEFAULT_STEPS,
    size: int | None = None,
    seed: int = 0,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    decay_power: float = 1.0,
    decorrelate: bool = True,
    transforms: RandomAffine | None = None,
) -> Job[OptimisedImage]:
    """The image that maximises ``channel`` of ``layer`` in ``loaded`` (Olah et al. 2017).

    Args:
        loaded: The network; it runs on its own device, in eval mode, and is not changed.
        layer: A module name as in the summary (``features.10``); "" for the network's output (a class logit).
        channel: The channel (the element after a Linear; the class index for the output).
        steps: Adam steps.
        size: The image's side in pixels (None: the network's input size).
        seed: Draws the first image and every step's transformation.
        learning_rate: Adam's, on the spectrum.
        decay_power: The exponent of the spectrum's 1/f scaling.
        decorrelate: Optimise colour in ImageNet's decorrelated basis (RGB networks only).
        transforms: The random transformation of each step (None: Lucid's standard set).
    """
    side = loaded.input.crop_size if size is None else int(size)
    if steps < 1:
        raise ModelError(f"The optimisation takes at least one step, not {steps}.")
    if side < MIN_SIZE:
        raise ModelError(f"An optimised image is at least {MIN_SIZE} pixels a side, not {side}.")
    channel_name, per_map = _check_channel(loaded, layer, channel)
    where = unit_title(layer, channel, channel_name)
    transforms = transforms or RandomAffine()
    device, spec = loaded.device, loaded.input
    generator = torch.Generator().manual_seed(seed)
    mean = torch.tensor(spec.mean, device=device).view(1, -1, 1, 1)
    std = torch.tensor(spec.std, device=device).view(1, -1, 1, 1)
    objective = LayerObjective(loaded.model, layer, channel)

    def value_of(picture: torch.Tensor) -> torch.Tensor:
        """The objective of a (1, C, H, W) picture in [0, 1], normalised as the network's weights expect."""
        return objective((picture - mean) / std).sum()

    # Each step enters grad mode itself: a mode entered across a yield would leak into whatever runs meanwhile.
    with torch.inference_mode(False):
        image = FourierImage(
            spec.channels,
            (side, side),
            generator=generator,
            device=device,
            decay_power=decay_power,
            decorrelate=decorrelate,
        )
        optimiser = torch.optim.Adam([image.spectrum], lr=learning_rate)
        start_value = _evaluate(loaded, side, lambda: value_of(image().unsqueeze(0)))
    values = torch.zeros(steps, device=device)
    shown, started = start_value, time.perf_counter()
    yield Progress(0, steps, f"{where}: starting, objective {shown:.4g}")
    for step in range(steps):
        with torch.inference_mode(False), torch.enable_grad():
            value = value_of(transforms(image().unsqueeze(0), generator))
            (gradient,) = torch.autograd.grad(-value, [image.spectrum])  # the spectrum's only, not the weights'
            image.spectrum.grad = gradient
            optimiser.step()
            values[step] = value.detach()
        if (step + 1) % REPORT_EVERY == 0 or step + 1 == steps:
            shown = float(values[step])  # a device sync: only every few steps
        left = time_left(step + 1, steps, 0, time.perf_counter() - started)
        yield Progress(step + 1, steps, f"{where}: step {step + 1} of {steps}, objective {shown:.4g}{left}")
    seconds = time.perf_counter() - started

    with torch.inference_mode(False), torch.no_grad():
        pixels = (image() * 255).round().clamp(0, 255).to(torch.uint8)
        end_value = float(value_of(pixels.unsqueeze(0).float() / 255))  # what the network makes of the PNG
    array = pixels.permute(1, 2, 0).cpu().numpy()
    if array.shape[2] == 1:  # a grey network's image, as RGB for every view and the PNG
        array = np.repeat(array, 3, axis=2)
    settings = {
        "method": "Olah et al. 2017: decorrelated Fourier image, transformation robustness, Adam",
        "objective": "the channel's mean over its map" if per_map else "the element's value",
        "learning_rate": learning_rate,
        "decay_power": decay_power,
        "decorrelate": image.decorrelate,
        "jitter": transforms.jitter,
        "scales": list(transforms.scales),
        "angles": sorted(set(transforms.angles)),
        "pad_value": PAD_VALUE,
        "size": side,
        "mean": list(spec.mean),
        "std": list(spec.std),
    }
    return OptimisedImage(
        image=np.ascontiguousarray(array),
        network=loaded.name,
        weights=loaded.weights_label,
        layer=layer,
        channel=channel,
        channel_name=channel_name,
        values=values.cpu().numpy().astype(np.float32),
        start_value=start_value,
        end_value=end_value,
        seed=seed,
        steps=steps,
        settings=settings,
        device=str(device),
        seconds=seconds,
    )


def _check_channel(loaded: LoadedModel, layer: str, channel: int) -> tuple[str, bool]:
    """(the class's name if ``channel`` of ``layer`` is a class logit else "", whether the layer has a map); a
    ``ModelError`` for a layer that is not there (with close names) or a channel out of its range."""
    summary = summarize(loaded)
    channels = layer_geometry(summary, layer)[0]
    if not 0 <= channel < channels:
        raise ModelError(
            f"{loaded.name} layer {layer or '(output)'!r} has channels 0 to {channels - 1}, not {channel}."
        )
    shape = summary.find(layer).output_shape
    # A layer whose output is the network's, one value per category (MobileNetV2's classifier.1 as well as "").
    logits = bool(loaded.categories) and shape == summary.root.output_shape == (len(loaded.categories),)
    return (loaded.categories[channel] if logits else ""), shape is not None and len(shape) == 3


def _evaluate(loaded: LoadedModel, side: int, run: Callable[[], torch.Tensor]) -> float:
    """``run()``'s value without gradients; a network that cannot take ``side`` pixels says so in one sentence."""
    try:
        with torch.no_grad():
            return float(run())
    except RuntimeError as error:
        raise ModelError(
            f"{loaded.name} cannot run on a {side}x{side} image (its input is {loaded.input.crop_size}): {error}"
        ) from None
