"""Building a network with its weights: default, random, a torchvision enum, a local file, a custom model.

Every weights file is read with ``torch.load(..., weights_only=True)``: a checkpoint from a stranger can
hold tensors, never code. Downloads go to torch hub's cache (``$TORCH_HOME/hub/checkpoints``) so that
torchvision and this app share one cache.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from viewer.core.errors import ModelError, WeightsError
from viewer.core.hashing import file_sha256
from viewer.core.network.input import InputSpec
from viewer.core.network.recipe import Recipe, RecipeError
from viewer.core.resources import bundled_path
from viewer.engine.models import registry
from viewer.engine.models.custom import custom_spec, with_module_attributes
from viewer.engine.models.download import ProgressCallback, fetch_url_to_cache
from viewer.engine.models.recipes import checkpoint_recipe, enum_recipe, input_for, resolve_recipe, spec_recipe
from viewer.engine.models.registry import ModelSpec

__all__ = [
    "LoadedModel",
    "custom_spec",
    "load_model",
    "load_state_dict_file",
    "read_checkpoint",
    "resolve_device",
    "with_module_attributes",
]

RANDOM = "none"


@dataclass
class LoadedModel:
    """A built network in eval mode, on its device, with everything needed to feed and read it."""

    spec: ModelSpec
    model: nn.Module
    weights: str  # an enum name, "MNIST", "none" (random init) or the file's path
    weights_sha256: str | None
    input: InputSpec  # what the network is fed: ``recipe``'s values at the network's channel count
    categories: tuple[str, ...]
    device: torch.device
    recipe: Recipe  # the evaluation recipe in use, and how it was chosen (every result's provenance records it)
    seed: int | None = None
    # The recipe without a ``recipe`` request: the weights' own, what the file says, or the network's default
    # (its ``said_by`` tells which); what the GUI offers beside the others when the user changes a file's recipe.
    own_recipe: Recipe | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pretrained(self) -> bool:
        return self.weights != RANDOM

    @property
    def weights_label(self) -> str:
        """How every view names these weights; random init always says so."""
        if not self.pretrained:
            return f"random init (seed {self.seed}), not trained"
        if self.weights_sha256 and Path(self.weights).is_absolute():
            return f"{Path(self.weights).name} (sha256 {self.weights_sha256[:12]})"
        # He et al.'s v1 ResNets run torchvision's weights, which were trained for v1.5: say so wherever shown.
        return f"{self.weights}, {self.spec.weights_note}" if self.spec.weights_note else self.weights


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; an explicit device that is absent is a clear error."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ModelError(f"Unknown device {device!r} (use auto, cpu, cuda, cuda:N or mps).") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ModelError(f"Device {device} was asked for but this machine has no usable CUDA GPU; use --device cpu.")
    if resolved.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ModelError(f"Device {device} was asked for but MPS is not available here; use --device cpu.")
    return resolved


def load_state_dict_file(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """A plain state_dict from a file, safely.

    Accepts a bare state_dict or a training checkpoint that wraps it (``state_dict`` / ``model`` key),
    and strips the ``module.`` prefix that ``nn.DataParallel`` leaves on every key.
    """
    return read_checkpoint(path)[0]


def read_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], Any | None]:
    """(state_dict, the checkpoint's saved ``recipe`` entry or None), read as ``load_state_dict_file`` reads."""
    path = Path(path)
    name = path.name
    if path.is_dir():
        raise WeightsError(f"{name}: is a folder, not a weights file.")
    if not path.exists():
        raise WeightsError(f"{name}: no such file.")
    if path.stat().st_size == 0:
        raise WeightsError(f"{name}: the file is empty, not a weights file.")
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickles before refusing them: one sentence is ours
            warnings.simplefilter("ignore")
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except PermissionError:
        raise WeightsError(f"{name}: permission denied.") from None
    except Exception as error:  # torch raises several unrelated types for foreign content
        raise WeightsError(_why_not_loadable(path, error)) from None
    state = _unwrap_checkpoint(loaded)
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{name}: holds no state_dict (a mapping of parameter names to tensors).")
    if all(key.startswith("module.") for key in state):
        state = {key[len("module.") :]: value for key, value in state.items()}
    return state, checkpoint_recipe(loaded) if state is not loaded else None


def _unwrap_checkpoint(loaded: Any) -> Any:
    if isinstance(loaded, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(loaded.get(key), dict):
                return loaded[key]
    return loaded


def _why_not_loadable(path: Path, error: Exception) -> str:
    text = str(error)
    with open(path, "rb") as handle:
        head = handle.read(512)
    if "TorchScript" in text or "constants.pkl" in text or b"constants.pkl" in head or b"code/" in head:
        return f"{path.name}: is a TorchScript archive, not a state_dict; save model.state_dict() instead."
    if "Weights only load failed" in text or "Unsupported global" in text or "GLOBAL" in text:
        return (
            f"{path.name}: refused: the file would run Python code when unpickled (only tensors are loaded, "
            "with weights_only=True)."
        )
    # torch's own words for foreign bytes ("pop from empty list", "invalid load key") mean nothing to a user.
    kind = "a zip archive that torch cannot read" if head.startswith(b"PK") else "neither a torch archive nor a pickle"
    return f"{path.name}: not a PyTorch weights file ({kind})."


def _fit_state_dict(model: nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """``load_state_dict(strict=True)``, with a mismatch told in one sentence naming the first culprits."""
    own = model.state_dict()
    # BatchNorm fills a missing num_batches_tracked itself (checkpoints from before torch 0.4.1 lack it).
    missing = [key for key in own if key not in state and not key.endswith("num_batches_tracked")]
    unexpected = [key for key in state if key not in own]
    wrong = [
        f"{key} {tuple(state[key].shape)} vs {tuple(own[key].shape)}"
        for key in own
        if key in state and tuple(state[key].shape) != tuple(own[key].shape)
    ]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing key(s) (first: {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s) (first: {', '.join(unexpected[:3])})")
        if wrong:
            parts.append(f"{len(wrong)} shape mismatch(es) (first: {'; '.join(wrong[:2])})")
        raise WeightsError(f"{source} does not fit this model: " + ", ".join(parts) + ".")
    model.load_state_dict(state, strict=True)


# torchvision's own loader calls torch.hub.load_state_dict_from_url with full unpickling and reports
# progress only through tqdm. Routing it through our fetcher keeps torchvision's exact builders (its
# per-model kwargs, DenseNet's key renaming, GoogLeNet's aux-head removal) while loading tensors only and
# reporting progress to the caller. The swap is process-global, hence the lock.
_TORCHVISION_LOAD_LOCK = threading.Lock()


@contextmanager
def _safe_torchvision_downloads(progress: ProgressCallback | None) -> Iterator[None]:
    import torchvision.models._api as tv_api

    def safe_load(url: str, *args: Any, check_hash: bool = False, **kwargs: Any) -> dict[str, Any]:
        path = fetch_url_to_cache(url, check_hash=check_hash, progress=progress)
        return load_state_dict_file(path)  # weights_only, and a WeightsError for a bad cached file

    with _TORCHVISION_LOAD_LOCK:
        original = tv_api.load_state_dict_from_url
        tv_api.load_state_dict_from_url = safe_load
        try:
            yield
        finally:
            tv_api.load_state_dict_from_url = original


def load_model(
    name: str | None,
    weights: str = "default",
    *,
    model_file: str | None = None,
    model_file_sha256: str | None = None,
    device: str | torch.device = "auto",
    progress: ProgressCallback | None = None,
    seed: int = 0,
    recipe: str | None = None,
) -> LoadedModel:
    """Build ``name`` (or the custom ``model_file``, see ``custom_spec``) with ``weights`` on ``device``.

    ``weights``: ``default``, ``none`` (random init, seeded), a torchvision enum name such as
    ``IMAGENET1K_V2``, ``MNIST`` for the bundled LeNet-5, or the path of a local state_dict file.
    ``recipe``: the evaluation preprocessing (``--recipe``: an enum name of the network or explicit values,
    see ``viewer.core.network.recipe``); without it the weights' own, or for a file what the file says
    (``viewer.engine.models.recipes.resolve_recipe``).
    """
    spec = custom_spec(model_file, model_file_sha256) if model_file else registry.get_spec(name or "")
    target = resolve_device(device)
    weights = weights or "default"
    is_file = (
        weights not in ("default", RANDOM)
        and weights not in spec.weights
        and (os.sep in weights or Path(weights).suffix != "" or Path(weights).exists())
    )
    if weights == "default" and spec.default_weights is None:
        weights = RANDOM if not is_file else weights
    choice = (spec.default_weights or RANDOM) if weights == "default" else weights
    input_spec = spec.input
    categories = spec.categories
    sha256 = None
    saved_recipe = None

    torch.manual_seed(seed)
    if choice == RANDOM or is_file:
        model = _build(spec)
        # A custom module may carry its own categories, input size and normalisation (read before any forward).
        spec = with_module_attributes(spec, model)
        input_spec, categories = spec.input, spec.categories
        if is_file:
            state, saved_recipe = read_checkpoint(choice)
            _fit_state_dict(model, state, Path(choice).name)
            sha256 = file_sha256(choice)
            choice = str(Path(choice).resolve())
    elif spec.source == "seed":
        model = _build(spec)
        if choice not in spec.weights:
            raise ModelError(f"{spec.name} has no weights named {choice!r} (known: {', '.join(spec.weights)}, none).")
        bundled = bundled_path(f"{spec.name}_{choice.lower()}.pt")
        _fit_state_dict(model, load_state_dict_file(bundled), bundled.name)
        sha256 = file_sha256(bundled)
    elif spec.source == "torchvision":
        enum_member = registry.torchvision_weights(spec.name, choice)
        with _safe_torchvision_downloads(progress):
            model = registry.build_pretrained(spec, enum_member)
        choice = enum_member.name
        input_spec = registry.input_spec_of(enum_member)
        categories = tuple(enum_member.meta["categories"])
    else:
        raise ModelError(f"{spec.name} has no weights named {choice!r}; use --weights none or a file.")
    in_use, own = _recipe(spec, input_spec, choice, is_file=is_file, request=recipe, sha256=sha256, saved=saved_recipe)
    input_spec = input_for(in_use, input_spec.channels)

    if not categories:
        categories = tuple(str(i) for i in range(_output_count(model, input_spec)))
    model = model.eval().to(target)
    return LoadedModel(
        spec=spec if input_spec == spec.input else replace(spec, input=input_spec),
        model=model,
        weights=choice,
        weights_sha256=sha256,
        input=input_spec,
        categories=categories,
        device=target,
        recipe=in_use,
        seed=seed if choice == RANDOM else None,
        own_recipe=own,
    )


def _recipe(
    spec: ModelSpec,
    weights_input: InputSpec,
    choice: str,
    *,
    is_file: bool,
    request: str | None,
    sha256: str | None,
    saved: Any | None,
) -> tuple[Recipe, Recipe]:
    """(the recipe in use, the one without ``request``) of these weights (see ``viewer.engine.models.recipes``): the
    request, else an enum's own, the file's, or the default."""
    if spec.source == "torchvision" and not is_file and choice != RANDOM:
        default = enum_recipe(registry.torchvision_weights(spec.name, choice), said_by="the weights")
    elif spec.source == "torchvision":  # a file or random init: the network's DEFAULT weights' recipe
        said_by = "random init: the default weights' recipe" if choice == RANDOM else "the default weights"
        default = enum_recipe(registry.torchvision_weights(spec.name, "DEFAULT"), said_by=said_by)
    else:
        said_by = "random init: the network's input" if choice == RANDOM else "the network's input"
        named = spec.source == "seed" and not is_file and choice != RANDOM  # the bundled MNIST weights
        default = spec_recipe(weights_input, name=choice if named else "", said_by=said_by)
    channels, file_sha256 = weights_input.channels, sha256 if is_file else None
    if not request:
        own = resolve_recipe(spec, default=default, channels=channels, file_sha256=file_sha256, saved=saved)
        return own, own
    in_use = resolve_recipe(spec, default=default, channels=channels, request=request)
    try:
        own = resolve_recipe(spec, default=default, channels=channels, file_sha256=file_sha256, saved=saved)
    except RecipeError:  # the checkpoint's saved entry cannot be read: the request, which won anyway, still holds
        own = resolve_recipe(spec, default=default, channels=channels, file_sha256=file_sha256)
    return in_use, own


def _build(spec: ModelSpec) -> nn.Module:
    assert spec.builder is not None
    try:
        model = spec.builder()
    except Exception as error:
        raise ModelError(f"{spec.name}: the builder failed ({type(error).__name__}: {error}).") from None
    if not isinstance(model, nn.Module):
        raise ModelError(f"{spec.name}: the builder returned {type(model).__name__}, not a torch nn.Module.")
    return model


def _output_count(model: nn.Module, input_spec: InputSpec) -> int:
    """Number of classes of a model whose categories nobody named: one forward on a blank input."""
    try:
        with torch.no_grad():
            out = model.eval()(torch.zeros(1, *input_spec.shape))
        return int(out.shape[-1])
    except Exception as error:
        raise ModelError(f"{type(model).__name__}: fails on a {input_spec.shape} input ({error}).") from None
