"""The models of the jobs: ``ModelCache`` keeps the last few built, keyed by ``ModelChoice.key()`` (plain Python).

Used only by the job runner (today the worker thread of ``viewer.gui.jobs.runner``); torch is imported on the first
``get``.
"""

from __future__ import annotations

import gc
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from viewer.core.network.choice import ModelChoice

if TYPE_CHECKING:
    from viewer.engine.models.weights import LoadedModel


__all__ = ["MODEL_CACHE_SIZE", "ModelCache", "ModelKey", "ModelLoader"]

MODEL_CACHE_SIZE = 3


ModelKey = ModelChoice
"""The cache's key: a :class:`ModelChoice` (``choice.key()``); one type names a model everywhere."""


class ModelLoader:
    """The models a job named (``JobRunner.submit(..., models=...)``), each built when the job asks for it.

    The job asks with the choices it was given; the runner may have moved them to the CPU (out of GPU memory),
    so a choice is matched on everything but its device. A choice the job did not name is a bug in the job.
    """

    def __init__(self, named: Sequence[ModelChoice], get: Callable[[ModelChoice], LoadedModel]) -> None:
        self._named = {replace(choice, device=""): choice for choice in named}
        self._get = get

    def __call__(self, choice: ModelChoice) -> LoadedModel:
        named = self._named.get(replace(choice, device=""))
        if named is None:
            raise KeyError(f"the job did not name {choice} among its models")
        return self._get(named)


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
        from viewer.engine.models.weights import load_model  # torch is imported here, on the worker, on first use

        loaded = load_model(
            key.model,
            key.weights,
            model_file=key.model_file,
            model_file_sha256=key.model_file_sha256,
            device=key.device,
            progress=progress,
            recipe=key.recipe,
        )
        self._models[key] = loaded
        evicted = []
        while len(self._models) > self.size:
            evicted.append(self._models.popitem(last=False)[1])
        if evicted:
            _release(evicted)
        return loaded

    def nbytes(self) -> int:
        """The bytes of the cached models' parameters and buffers (what the cache holds on purpose)."""
        total = 0
        for loaded in list(self._models.values()):
            tensors = (*loaded.model.parameters(), *loaded.model.buffers())
            total += sum(t.numel() * t.element_size() for t in tensors)
        return total

    def clear(self) -> None:
        models = list(self._models.values())
        self._models.clear()
        _release(models)


def _release(models: list[LoadedModel]) -> None:
    """Free evicted models now rather than at some later cyclic collection.

    A model left in a reference cycle outlives its last reference until the cyclic collector runs: with
    VGG-size models that is gigabytes. torch.fx's tracers made such cycles; the engine empties them once done
    (``viewer.engine.fx_tracers``), so this is a safety net for whatever else may. A full collection holds the
    GIL for 50-190 ms on a 2-core machine (``viewer bench``: it was the longest stall of the 200-switch soak),
    so it runs only when a model did outlive the list that held it; the objects of the libraries were frozen
    out of it once torch was imported (``viewer.engine.server.runtime``). Nothing is frozen here: the models still
    cached would be frozen too, and a frozen cycle is never freed once they are evicted in turn.

    Not where automatic collection is off: that is a window's process running its engine on a thread
    (``--engine thread``), whose collections run on the GUI thread only (``gui.runtime.application``), since a
    collection on this thread could free a Qt object on the wrong thread.
    """
    survivors = [weakref.ref(loaded.model) for loaded in models]
    models.clear()  # the caller's last references: what nothing else holds is freed here
    if gc.isenabled() and any(survivor() is not None for survivor in survivors):
        gc.collect()
