"""The job table of the engine tests (``engine_jobs:JOBS``): a real classification, and jobs that misbehave."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from viewer.core.errors import ImageError
from viewer.core.progress import Progress

TABLE = "engine_jobs:JOBS"  # how the tests name this table (this folder is on the engines' path)
RESULT_TIMEOUT_S = 180  # generous: the CPU is shared, and a first job imports torch


def classify(path: str, *, loaded: Any, topk: int = 3) -> dict[str, Any]:
    """The real engine's top-k of one image, as plain values (the result types are not in the core yet)."""
    from viewer.engine.inference import classify as engine_classify

    prediction = engine_classify([path], loaded, topk=topk)[0]
    return {
        "image": prediction.image,
        "top": [(top.name, top.prob) for top in prediction.topk],
        "probs": prediction.probs,
        "pid": os.getpid(),
    }


def capture_all(seed: int) -> dict[str, Any]:
    """Every layer of a seeded random LeNet-5 for a seeded input, captured as the real engine captures them."""
    import torch

    from viewer.engine.activations import capture
    from viewer.engine.models.registry import build_model

    torch.manual_seed(seed)
    model = build_model("lenet5").eval()
    layers = [name for name, module in model.named_modules() if name and not list(module.children())]
    activations = capture(model, torch.rand(1, 1, 28, 28), layers)
    return {"arrays": {name: a.array for name, a in activations.items()}, "pid": os.getpid()}


def open_image(file: Any) -> Any:
    """The real engine's opened image (with the key that later jobs name it by)."""
    from viewer.engine.jobs.session import open_images

    return open_images([file]).images[0]


_SEEN_IMAGES: dict[str, list[int]] = {}


def image_size(entry: Any) -> tuple[tuple[int, int], int]:
    """The entry's size, and how many distinct entry objects of its key this engine has been given."""
    seen = _SEEN_IMAGES.setdefault(entry.key, [])
    if id(entry) not in seen:
        seen.append(id(entry))
    return entry.size, len(seen)


def torch_version() -> str:
    import torch

    return str(torch.__version__)


def echo(*args: Any, **kwargs: Any) -> Any:
    return {"args": args, "kwargs": kwargs, "pid": os.getpid()}


def spin(steps: int, pause_s: float = 0.02) -> Iterator[Progress]:
    """A long job: ``steps`` steps, each a short wait (cancelled between them)."""
    for step in range(steps):
        time.sleep(pause_s)
        yield Progress(step + 1, steps, "spinning")
    return steps


def hang() -> None:
    """A job stuck "in C" that ignores SIGTERM: only a kill ends it (the job loop runs on the main thread)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(3600)


def runtime_state() -> dict[str, Any]:
    """What the engine's runtime settings left: the niceness of the job loop's thread and of every other thread,
    how many objects the collector no longer walks, and where tqdm's lock comes from."""
    import tqdm  # what torch.fx's Interpreter makes a (disabled) bar of at every run

    niceness = [os.getpriority(os.PRIO_PROCESS, thread.native_id or 0) for thread in threading.enumerate()]
    lock = type(tqdm.tqdm.get_lock()).__module__
    return {"niceness": niceness, "frozen": gc.get_freeze_count(), "tqdm_lock": lock}


def exit_now(status: int) -> None:
    os._exit(status)


def user_error(name: str) -> None:
    raise ImageError(f"{name}: not an image file (no known image header).")


def bug() -> float:
    return 1 / 0


def big(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float32)


JOBS: dict[str, Callable[..., Any]] = {
    "classify": classify,
    "capture_all": capture_all,
    "open_image": open_image,
    "image_size": image_size,
    "echo": echo,
    "torch_version": torch_version,
    "spin": spin,
    "hang": hang,
    "exit_now": exit_now,
    "runtime_state": runtime_state,
    "user_error": user_error,
    "bug": bug,
    "big": big,
}
