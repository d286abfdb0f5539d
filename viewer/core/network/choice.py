"""Which model: the one type every layer uses to name a network, its weights and its device (no torch, no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from viewer.core.defaults import DEFAULT_MODEL

__all__ = ["ModelChoice"]


@dataclass(frozen=True)
class ModelChoice:
    """The user's model choice; ``weights`` is "default", "none" (random init), an enum name or a file, and
    ``recipe`` the preprocessing they get when it is not their own (a file that does not say it).

    The same type names a model everywhere: the model bar emits it, the state keeps it, a job names the models
    it needs with it (``JobRunner.submit(..., model=choice)``: the worker builds or takes the cached
    ``LoadedModel``) and the worker's cache is keyed by :meth:`key`.
    """

    model: str | None = DEFAULT_MODEL
    weights: str = "default"
    model_file: str | None = None  # "path/to/file.py:function" for a custom model
    device: str = "auto"
    model_file_sha256: str | None = None  # the model file's content the user agreed to run
    # The evaluation recipe as ``--recipe`` takes it (an enum name or key=value text, ``viewer.core.network.recipe``);
    # None: what a weights file says, else the weights' own or the network's default. Part of the key: the same
    # weights under another recipe are another model for every job (another input size, another normalisation).
    recipe: str | None = None

    def key(self) -> ModelChoice:
        """The choice as the worker's cache knows it: a model file names the network, so no name beside it."""
        return replace(self, model=None) if self.model_file else self

    def on_cpu(self) -> ModelChoice:
        """The same model on the CPU (where a job goes after the GPU ran out of memory)."""
        return replace(self, device="cpu")
