"""Presets that do not fit the chosen weights: the reason in one sentence, or None. Nothing is forbidden.

Two mismatches the lecture's presets invite:

- Krizhevsky's TTA mirrors every view. Digits are not symmetric (a mirrored 2 is no digit, a mirrored 3 is an
  epsilon), so averaging the mirrored views hurts a digit classifier: the bundled LeNet-5 falls from 99.15 % to
  95.40 % on its held-out MNIST images with the paper's geometry (93.10 % averaging logits; with the weights' own
  28-pixel resize, 91.30 % and 85.85 %); ``tests/engine/test_preset_fit.py`` measures it.
- The lecture's per-image standardisation (mean 0.5, standard deviation 0.5 per image) feeds inputs of another
  range to weights trained on a fixed mean/std normalisation, which is every pretrained network here: the
  ImageNet networks' scores become junk, and LeNet-5 falls to 67.85 %.

Plain Python (no torch, no Qt): the CLI prints the reason as a warning; the GUI shows it as a tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["DIGITS", "LENET_ACCURACY", "preset_reason", "tta_reason", "unfit_reasons"]

DIGITS = tuple("0123456789")
# Held-out accuracy (MNIST test images 8000-9999) of the bundled LeNet-5 weights under each choice.
# TTA with the paper's geometry (the shorter side 32 for the 28-pixel crop, 256 : 224), the CLI's and app's default.
LENET_ACCURACY = {"weights": 0.9915, "tta probs": 0.9540, "tta logits": 0.9310, "standardize": 0.6785}


def _is_bundled_lenet(model: str, categories: Sequence[str], weights: str) -> bool:
    return model == "lenet5" and tuple(categories) == DIGITS and weights == "MNIST"


def tta_reason(*, model: str, weights: str, pretrained: bool, categories: Sequence[str]) -> str | None:
    """Why ten-crop TTA (which mirrors) does not fit these weights, or None when it does.

    Args:
        model: the network's name ("lenet5", "resnet50", "file:builder").
        weights: the weights in use ("MNIST", "IMAGENET1K_V2", a path, "none").
        pretrained: False for random init, where nothing learnt can be hurt.
        categories: the class names, in index order.
    """
    if not pretrained or tuple(categories) != DIGITS:
        return None
    if _is_bundled_lenet(model, categories, weights):
        return (
            f"TTA mirrors each view, and a mirrored digit is another shape: LeNet-5's held-out accuracy drops "
            f"from {LENET_ACCURACY['weights']:.2%} to {LENET_ACCURACY['tta probs']:.2%} "
            f"({LENET_ACCURACY['tta logits']:.2%} averaging logits)."
        ).replace("%", " %")
    return "TTA mirrors each view, and a mirrored digit is another shape: expect a digit classifier to lose accuracy."


def preset_reason(
    preset: str,
    *,
    model: str,
    weights: str,
    pretrained: bool,
    categories: Sequence[str],
    mean: Sequence[float],
    std: Sequence[float],
) -> str | None:
    """Why ``preset`` does not fit these weights, or None when it does (or nothing was trained).

    Args:
        preset: "weights", "standardize" or "full".
        model, weights, pretrained, categories: as for ``tta_reason``.
        mean, std: the normalisation the weights were trained with (the model's input spec).
    """
    if preset != "standardize" or not pretrained:
        return None
    numbers = ", ".join(f"{v:g}" for v in mean), ", ".join(f"{v:g}" for v in std)
    text = (
        f"These weights were trained on inputs normalised with mean ({numbers[0]}) and std ({numbers[1]}); the "
        "lecture's per-image standardisation gives them another range"
    )
    if _is_bundled_lenet(model, categories, weights):
        return (
            f"{text}: LeNet-5's held-out accuracy drops from {LENET_ACCURACY['weights']:.2%} to "
            f"{LENET_ACCURACY['standardize']:.2%}."
        ).replace("%", " %")
    return f"{text}, so the scores can be junk (the weights preset gives them what they were trained on)."


def unfit_reasons(
    preset: str,
    tta: bool,
    *,
    model: str,
    weights: str,
    pretrained: bool,
    categories: Sequence[str],
    mean: Sequence[float],
    std: Sequence[float],
) -> list[str]:
    """Every reason why ``preset`` and ``tta`` do not fit these weights (empty when they do)."""
    reasons = [
        preset_reason(
            preset, model=model, weights=weights, pretrained=pretrained, categories=categories, mean=mean, std=std
        )
    ]
    if tta:
        reasons.append(tta_reason(model=model, weights=weights, pretrained=pretrained, categories=categories))
    return [reason for reason in reasons if reason]
