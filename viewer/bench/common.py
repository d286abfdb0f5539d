"""What every benchmark section shares: the row of the table, best-of timing, the sample photo, waiting on Qt.

A module of its own (not ``viewer/bench/__init__``) so that the sections import it without importing their own
package back.
"""

from __future__ import annotations

import itertools
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Row",
    "best_of",
    "best_of_interleaved",
    "best_of_stepwise",
    "machine_line",
    "measured_in_fresh_process",
    "offscreen_unless_display",
    "print_table",
    "sample_image",
    "wait_until",
]


@dataclass
class Row:
    """One measured comparison: ``value`` (usually a ratio) against a ``goal``."""

    section: str
    case: str
    ours: str
    reference: str
    value: float
    goal: str
    met: bool | None

    @property
    def verdict(self) -> str:
        return "-" if self.met is None else ("yes" if self.met else "NO")


def best_of(function: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Best wall time in seconds over ``repeats`` runs: the least disturbed by other processes."""
    for _ in range(warmup):
        function()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def best_of_interleaved(
    reference: Callable[[], object], ours: Callable[[], object], repeats: int, warmup: int = 1
) -> tuple[float, float]:
    """Best wall times (reference, ours) in seconds, the two run alternately with as many runs each, so that
    drifts of the machine (other processes, clocks, caches) hit both alike and neither gets more chances."""
    for _ in range(warmup):
        reference()
        ours()
    best_reference = best_ours = float("inf")
    for turn in range(repeats):
        # Alternate which goes first too: the one that runs after the other finds the caches warmed by it.
        for function in (reference, ours) if turn % 2 == 0 else (ours, reference):
            started = time.perf_counter()
            function()
            elapsed = time.perf_counter() - started
            if function is reference:
                best_reference = min(best_reference, elapsed)
            else:
                best_ours = min(best_ours, elapsed)
    return best_reference, best_ours


def best_of_stepwise(
    reference: Callable[[], Iterator[object]], ours: Callable[[], Iterator[object]], repeats: int, warmup: int = 1
) -> tuple[float, float]:
    """Best times (reference, ours) in seconds of two jobs made of the same steps, timed step by step.

    Each factory returns an iterator whose every ``next()`` does one step (a batch, say); the two must have as
    many steps, the k-th of each doing comparable work. The steps run alternately, reference and ours, so a
    burst of load on a shared machine, which lasts seconds, hits both alike instead of one whole run: with
    runs of tens of seconds, :func:`best_of_interleaved` alone let such bursts decide the ratio. Each step's
    best over the repeats is kept, and the totals are the sums of those bests.
    """

    def steps(job: Iterator[object]) -> Iterator[float]:
        while True:
            started = time.perf_counter()
            try:
                next(job)
            except StopIteration:
                yield time.perf_counter() - started
                return
            yield time.perf_counter() - started

    best_reference: list[float] = []
    best_ours: list[float] = []
    for turn in range(warmup + repeats):
        reference_times, ours_times = steps(reference()), steps(ours())
        timed: list[tuple[float, float]] = []
        for step in itertools.count():
            # Alternate which goes first, so that neither always finds the caches warmed by the other.
            if step % 2 == 0:
                reference_s, ours_s = next(reference_times, None), next(ours_times, None)
            else:
                ours_s = next(ours_times, None)
                reference_s = next(reference_times, None)
            if reference_s is None and ours_s is None:
                break
            if reference_s is None or ours_s is None:
                raise ValueError("the two jobs must have as many steps")
            timed.append((reference_s, ours_s))
        if turn < warmup:
            continue
        if not best_reference:
            best_reference, best_ours = [r for r, _ in timed], [o for _, o in timed]
        for index, (reference_s, ours_s) in enumerate(timed):
            best_reference[index] = min(best_reference[index], reference_s)
            best_ours[index] = min(best_ours[index], ours_s)
    return sum(best_reference), sum(best_ours)


def machine_line(device: str) -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    where = torch.cuda.get_device_name(0) if device.startswith("cuda") else f"{cpu}, {torch.get_num_threads()} threads"
    return f"torch {torch.__version__}, {device}: {where}"


def sample_image() -> Path:
    """A real photo: the shared test data when beside the checkout, else one written here.

    Imports neither torch nor Qt, so that the GUI benchmark can count the first torch import as the app's.
    """
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "images" / "tv_dog2.jpg"
    if shared.exists():
        return shared
    import tempfile

    import numpy as np
    from PIL import Image

    path = Path(tempfile.gettempdir()) / "viewer-bench-photo.jpg"
    if not path.exists():
        rng = np.random.default_rng(0)
        Image.fromarray(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)).save(path, quality=90)
    return path


def print_table(rows: list[Row]) -> None:
    headers = ("section", "case", "ours", "reference", "ratio", "goal", "met")
    table = [headers] + [(r.section, r.case, r.ours, r.reference, f"{r.value:.3f}", r.goal, r.verdict) for r in rows]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(headers))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in table[1:]:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) + " |")


def wait_until(predicate: Callable[[], bool], timeout_s: float = 900.0) -> None:
    """Run the event loop until ``predicate`` holds (checked every 20 ms), or fail after ``timeout_s``."""
    from PySide6 import QtCore

    loop = QtCore.QEventLoop()
    deadline = time.perf_counter() + timeout_s

    def check() -> None:
        if predicate() or time.perf_counter() > deadline:
            loop.quit()

    poll = QtCore.QTimer()
    poll.setInterval(20)
    poll.timeout.connect(check)
    poll.start()
    if not predicate():
        loop.exec()
    poll.stop()
    if not predicate():
        raise TimeoutError(f"the GUI benchmark gave up after {timeout_s:.0f} s")


def offscreen_unless_display(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a GUI child process: Qt's offscreen platform when there is no display to show it on."""
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def measured_in_fresh_process(
    command: list[str], env: dict[str, str], prefix: str, what: str, timeout_s: float
) -> tuple[dict[str, Any], str]:
    """Run a measurement in a process of its own (its memory and its GIL are its own): the JSON of its last
    stdout line that starts with ``prefix``, and its stderr; a sentence naming ``what`` when it fails."""
    import json
    import subprocess

    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{what} did not finish within {timeout_s:.0f} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith(prefix)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{what} failed (exit {done.returncode}): {done.stderr[-800:]}")
    return json.loads(lines[-1].removeprefix(prefix)), done.stderr
