"""The worker's models: ``ModelCache`` keeps the last few built, keyed by ``ModelChoice.key()`` (plain Python, no Qt).

Used only on the worker thread of ``viewer.gui.jobs``; torch is imported on the first ``get``.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from viewer.core.choice import ModelChoice

if TYPE_CHECKING:
    from viewer.engine.weights import LoadedModel


__all__ = ["MODEL_CACHE_SIZE", "ModelCache", "ModelKey"]

MODEL_CACHE_SIZE = 3


ModelKey = ModelChoice
"""The cache's key: a :class:`ModelChoice` (``choice.key()``); one type names a model everywhere."""


class ModelCache:
    """An LRU of a few ``LoadedModel`` keyed by ``ModelChoice.key()``; used only on the worker thread."""

    def __init__(self, size: int = MODEL_CACHE_SIZE) -> None:
        self.size = size
        self._models: OrderedDict[ModelChoice, LoadedModel] = OrderedDict()

    def __contains__(self, choice: object) -> bool:
        return isinstance(choice, ModelChoice) and choice.key() in self._models

    def keys(self) -> list[ModelChoice]:
        return list(self._models)

    def get(self, choice: ModelChoice, progress: Callable[[int, int], bool | None] | None = None) -> LoadedModel:
        """The model of ``choice``, built (and its weights downloaded, reporting ``progress``) on first use."""
        key = choice.key()
        if key in self._models:
            self._models.move_to_end(key)
            return self._models[key]
        from viewer.engine.weights import load_model  # torch is imported here, on the worker, on first use

        loaded = load_model(
            key.model,
            key.weights,
            model_file=key.model_file,
            model_file_sha256=key.model_file_sha256,
            device=key.device,
            progress=progress,
        )
        self._models[key] = loaded
        evicted = False
        while len(self._models) > self.size:
            self._models.popitem(last=False)
            evicted = True
        if evicted:
            _release_evicted()
        return loaded

    def clear(self) -> None:
        self._models.clear()
        _release_evicted()


def _release_evicted() -> None:
    """Free evicted models now rather than at some later cyclic collection.

    torch.fx's tracer (used by feature extraction and convolutionize) leaves a reference cycle through a
    recursive closure that holds the traced model, so an evicted model outlives its last reference until
    the cyclic collector runs: with VGG-size models that is gigabytes. The collection stays short because
    the objects of the libraries were frozen out of it once torch was imported (``tasks._quiet_collector``).
    Nothing is frozen here: the models still cached would be frozen too, and a frozen cycle is never freed
    once they are evicted in turn.
    """
    gc.collect()
