"""Torch's fake-tensor log is dropped inside :func:`quiet_torch_logs`, in the calling thread only, and kept
everywhere else; the engine's size probes run inside it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn
from torch._subclasses.fake_tensor import FakeTensorMode

from viewer.engine.explain.input import explain_input
from viewer.engine.explain.methods import gradcam_layer
from viewer.engine.images import load_image
from viewer.engine.models.weights import load_model
from viewer.engine.quiet import QUIET_LOGGERS, quiet_torch_logs


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture()
def fake_tensor_log() -> Iterator[_Records]:
    """What torch's fake-tensor logger emits, caught on that logger itself (torch's own handler sits on the
    ``torch`` logger and writes to the process's stderr, where capsys does not look)."""
    handler = _Records()
    logger = logging.getLogger(QUIET_LOGGERS[0])
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _refused_probe() -> None:
    """A Linear(256) given 448 features on fake tensors: torch logs the failure, then raises it."""
    with FakeTensorMode(allow_non_fake_inputs=True), torch.no_grad(), pytest.raises(RuntimeError):
        nn.Linear(256, 2)(torch.empty(1, 448))


def test_torch_logs_a_refused_fake_run_unless_quiet(fake_tensor_log: _Records) -> None:
    _refused_probe()
    assert fake_tensor_log.records and fake_tensor_log.records[0].levelno == logging.ERROR  # what the CLI printed
    fake_tensor_log.records.clear()
    with quiet_torch_logs(), quiet_torch_logs():  # nested blocks
        _refused_probe()
    assert fake_tensor_log.records == []
    _refused_probe()  # after the block torch speaks again
    assert fake_tensor_log.records


def test_only_the_quiet_thread_is_silenced(fake_tensor_log: _Records) -> None:
    inside, done = threading.Event(), threading.Event()

    def quiet_worker() -> None:
        with quiet_torch_logs():
            inside.set()
            done.wait(10)

    worker = threading.Thread(target=quiet_worker)
    worker.start()
    try:
        assert inside.wait(10)
        _refused_probe()  # this thread is not in a quiet block: its failure is still logged
    finally:
        done.set()
        worker.join()
    assert fake_tensor_log.records


def test_the_engine_size_probes_leave_no_log(shared_data: Path, fake_tensor_log: _Records) -> None:
    lenet = load_model("lenet5", "default", device="cpu")
    # The coffee photo is not square: LeNet-5's Linear refuses the whole image on fake tensors, so it is squashed.
    prepared = explain_input(lenet, load_image(shared_data / "images/sk_coffee.png"))
    assert prepared.size == (28, 28) and "squashed" in prepared.fit
    assert gradcam_layer(lenet)[0] == "features"
    assert fake_tensor_log.records == []
