"""The model choice and prediction options as the settings keep them between sessions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.core.network.choice import ModelChoice

if TYPE_CHECKING:
    from viewer.core.trust import ModelFileTrust
    from viewer.gui.runtime.settings import Settings
    from viewer.gui.state import AppState

__all__ = ["restored_choice", "save_choice"]


def restored_choice(settings: Settings, trust: ModelFileTrust) -> tuple[ModelChoice, str]:
    """The choice saved by the last session, and a warning ("" if none) when it named a custom model file that
    changed since the user allowed it to run (or is gone): that file is never run unasked at start-up."""
    s = settings
    choice = ModelChoice(s.model() or ModelChoice().model, s.weights() or "default", s.model_file(), s.device())
    digest = trust.trusted_digest(choice.model_file) if choice.model_file else None
    if choice.model_file and digest is None:
        warning = (
            f"{Path(choice.model_file.rpartition(':')[0]).name} changed since you allowed it to run (or is "
            "gone), so it was not loaded; choose it again under Model › Custom model file… to run it."
        )
        return ModelChoice(device=choice.device), warning
    return replace(choice, model_file_sha256=digest), ""


def save_choice(settings: Settings, state: AppState) -> None:
    """Keep the state's model choice and prediction options for the next session."""
    c, options = state.model.choice, state.predictions
    settings.save_choice(
        model=c.model,
        weights=c.weights,
        model_file=c.model_file,
        device=c.device,
        preset=options.preset,
        tta=options.tta,
        topk=options.topk,
    )
