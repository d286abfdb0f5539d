"""The status bar's line: what is loaded on which device, the weights file's recipe, and the last timings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from viewer.gui.state import AppState

__all__ = ["status_text"]


def status_text(state: AppState) -> str:
    """ "cpu · resnet18 · IMAGENET1K_V1 · forward 12 ms", or what is being loaded, or what failed."""
    model, info = state.model, state.model.info
    if model.registry is None:
        text = "Loading torch and the model zoo…"
    elif info is None:
        label = model.choice.model_file or model.choice.model
        text = f"{label}: not loaded" if model.error else f"Loading {label}…"
    else:
        text = f"{info.device} · {info.name} · {info.weights_label}"
        recipe = state.recipes.shown()  # a weights file's: what said it, or "assumed"
        text += f" · {recipe.text}" if recipe is not None else ""
    timings = " · ".join(f"{k} {v:.0f} ms" for k, v in model.timings.items())
    return text + (f" · {timings}" if timings else "")
