"""Weights loading: a custom model file with a real checkpoint, strict fitting, and every refusal."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from viewer.core.errors import ModelError, WeightsError
from viewer.core.hashing import file_sha256
from viewer.engine.images import load_image
from viewer.engine.inference import classify
from viewer.engine.models.registry import IMAGENET_MEAN, IMAGENET_STD
from viewer.engine.models.weights import load_model, load_state_dict_file, resolve_device

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
RESNET20 = f"{FIXTURES / 'cifar_resnet.py'}:resnet20"


@pytest.fixture(scope="module")
def checkpoint(shared_data) -> Path:
    return shared_data / "weights" / "resnet20-12fca82f.th"


@pytest.fixture(scope="module")
def resnet20(checkpoint):
    return load_model(None, str(checkpoint), model_file=RESNET20, device="cpu")


# --- a custom model file with a real checkpoint -------------------------------------------------------


def test_custom_model_file_loads_the_cifar_checkpoint_strictly(resnet20, checkpoint, shared_data):
    assert resnet20.pretrained and resnet20.spec.family == "Custom"
    assert resnet20.name == "cifar_resnet:resnet20"
    classes = (shared_data / "labels" / "cifar10_classes.txt").read_text().split()
    assert list(resnet20.categories) == classes
    assert resnet20.input.shape == (3, 32, 32)
    assert resnet20.input.mean == IMAGENET_MEAN and resnet20.input.std == IMAGENET_STD
    # Every tensor of the checkpoint (keys prefixed "module.", wrapped in {"state_dict": ...}) arrived.
    raw = torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    own = resnet20.model.state_dict()
    assert set(own) - {key for key in own if key.endswith("num_batches_tracked")} == {
        key.removeprefix("module.") for key in raw
    }
    for key, value in raw.items():
        assert torch.equal(own[key.removeprefix("module.")], value), key


@pytest.mark.parametrize(
    "size, said",
    [
        ("(3, 32, 48)", "3x32x48 is not square"),
        ("'big'", "input_size must be three integers"),
        ("(3, 32.9, 32.9)", "input_size must be three integers"),
        ("(3, 0, 0)", "must be positive"),
    ],
)
def test_a_model_file_with_an_unusable_input_size_says_so(tmp_path, size, said):
    source = tmp_path / "odd.py"
    source.write_text(f"from torch import nn\n\ninput_size = {size}\n\ndef build():\n    return nn.Flatten()\n")
    with pytest.raises(ModelError, match=said):
        load_model(None, "none", model_file=f"{source}:build", device="cpu")


def test_a_model_file_runs_as_its_own_module(tmp_path):
    # Its own __future__ imports (not the loader's), a dataclass config, and its module findable by name.
    source = tmp_path / "configured.py"
    source.write_text(
        "import sys\nfrom dataclasses import dataclass\nfrom torch import nn\n\n"
        "@dataclass\nclass Config:\n    width: int = 8\n\n"
        "ANNOTATIONS_ARE_TYPES = Config.__annotations__['width'] is int\n"
        "FOUND_BY_NAME = sys.modules[__name__].__dict__ is globals()\n"
        "input_size = (3, 4, 4)\n\n"
        "def build():\n    return nn.Sequential(nn.Flatten(), nn.Linear(48, Config().width))\n"
    )
    loaded = load_model(None, "none", model_file=f"{source}:build", device="cpu")
    module = sys.modules[loaded.spec.builder.__module__]
    assert module.ANNOTATIONS_ARE_TYPES and module.FOUND_BY_NAME
    assert len(loaded.categories) == 8


def test_a_model_file_changed_after_consent_is_refused_unrun(tmp_path):
    sentinel = tmp_path / "ran"
    source = tmp_path / "tiny.py"
    source.write_text(
        "from torch import nn\n\ninput_size = (3, 2, 2)\n\ndef build():\n"
        "    return nn.Sequential(nn.Flatten(), nn.Linear(12, 3))\n"
    )
    allowed = file_sha256(source)
    loaded = load_model(None, "none", model_file=f"{source}:build", model_file_sha256=allowed, device="cpu")
    assert loaded.spec.family == "Custom" and not sentinel.exists()
    source.write_text(source.read_text() + f"open({str(sentinel)!r}, 'w').close()\n")  # edited afterwards
    with pytest.raises(ModelError, match="changed since you allowed it to run, so it was not run"):
        load_model(None, "none", model_file=f"{source}:build", model_file_sha256=allowed, device="cpu")
    assert not sentinel.exists()
    load_model(None, "none", model_file=f"{source}:build", device="cpu")  # named on the command line: runs
    assert sentinel.exists()


def test_weights_label_names_the_file_and_its_sha256(resnet20, checkpoint):
    digest = file_sha256(checkpoint)
    assert resnet20.weights_sha256 == digest
    assert resnet20.weights_label == f"resnet20-12fca82f.th (sha256 {digest[:12]})"
    assert digest.startswith("12fca82f")  # the repository names its files by their hash


def test_cifar_resnet_recognises_photos_of_cifar_classes(resnet20, shared_data):
    # No CIFAR images in the shared data, but shrunk to 32x32 these photos are CIFAR-like enough for a
    # working network (and would be nonsense for a mis-wired one, e.g. shortcut zeros on the wrong side).
    expected = {"darknet_eagle.jpg": "bird", "kitten.jpg": "cat", "sk_chelsea.png": "cat"}
    images = [load_image(shared_data / "images" / name) for name in expected]
    predictions = classify(images, resnet20, topk=1)
    assert [p.topk[0].name for p in predictions] == list(expected.values())
    assert all(p.topk[0].prob > 0.9 for p in predictions)


def test_plain_resaved_state_dict_loads_too(resnet20, tmp_path):
    plain = tmp_path / "resnet20_plain.pth"
    torch.save(resnet20.model.state_dict(), plain)
    again = load_model(None, str(plain), model_file=RESNET20, device="cpu")
    for key, value in resnet20.model.state_dict().items():
        assert torch.equal(again.model.state_dict()[key], value), key
    assert again.weights_label.startswith("resnet20_plain.pth (sha256 ")


# --- random init and devices --------------------------------------------------------------------------


def test_none_weights_are_labelled_random_and_seeded():
    first = load_model("lenet5", "none", device="cpu", seed=3)
    assert not first.pretrained
    assert first.weights_label == "random init (seed 3), not trained"
    assert first.weights_sha256 is None
    second = load_model("lenet5", "none", device="cpu", seed=3)
    other = load_model("lenet5", "none", device="cpu", seed=4)
    weight = "features.0.weight"
    assert torch.equal(first.model.state_dict()[weight], second.model.state_dict()[weight])
    assert not torch.equal(first.model.state_dict()[weight], other.model.state_dict()[weight])


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_model_error():
    with pytest.raises(ModelError, match=r"no usable CUDA GPU.*--device cpu"):
        resolve_device("cuda")


def test_unknown_device_is_a_model_error():
    with pytest.raises(ModelError, match="Unknown device 'gpu0'"):
        resolve_device("gpu0")


# --- refusals -----------------------------------------------------------------------------------------


def _lenet_state() -> dict[str, torch.Tensor]:
    return load_model("lenet5", "none", device="cpu").model.state_dict()


def test_wrong_shapes_name_the_first_culprits(tmp_path):
    state = _lenet_state()
    state["classifier.4.weight"] = torch.zeros(7, 84)
    state["classifier.4.bias"] = torch.zeros(7)
    path = tmp_path / "seven_classes.pth"
    torch.save(state, path)
    with pytest.raises(WeightsError) as caught:
        load_model("lenet5", str(path), device="cpu")
    message = str(caught.value)
    assert message.startswith("seven_classes.pth does not fit this model: 2 shape mismatch(es)")
    assert "classifier.4.weight (7, 84) vs (10, 84)" in message


def test_missing_and_unexpected_keys_are_named(tmp_path):
    state = _lenet_state()
    del state["features.0.weight"]
    state["head.weight"] = torch.zeros(3)
    path = tmp_path / "renamed.pth"
    torch.save(state, path)
    with pytest.raises(WeightsError) as caught:
        load_model("lenet5", str(path), device="cpu")
    message = str(caught.value)
    assert "1 missing key(s) (first: features.0.weight)" in message
    assert "1 unexpected key(s) (first: head.weight)" in message
    assert "\n" not in message


class _Payload:
    """Unpickling this runs code: it would create the file named in ``sentinel``."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):
        return (exec, (f"open({str(self.sentinel)!r}, 'w').close()",))


def test_pickle_that_would_run_code_is_refused_and_never_runs(tmp_path):
    sentinel = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"features.0.weight": torch.zeros(6, 1, 5, 5), "payload": _Payload(sentinel)}, path)
    with pytest.raises(WeightsError) as caught:
        load_model("lenet5", str(path), device="cpu")
    assert "evil.pth: refused" in str(caught.value)
    assert "weights_only=True" in str(caught.value)
    assert not sentinel.exists()


class _Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def test_torchscript_archive_is_told_apart(tmp_path):
    path = tmp_path / "scripted.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TorchScript is deprecated; users still have such files
        torch.jit.script(_Tiny()).save(str(path))
    with pytest.raises(WeightsError, match=r"scripted.pt: is a TorchScript archive, not a state_dict"):
        load_state_dict_file(path)


def test_non_torch_file_is_refused(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("these are not weights\n")
    with pytest.raises(WeightsError, match=r"notes.pth: not a PyTorch weights file"):
        load_model("lenet5", str(path), device="cpu")


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.pth"
    path.touch()
    with pytest.raises(WeightsError, match=r"empty.pth: the file is empty"):
        load_model("lenet5", str(path), device="cpu")


def test_file_without_a_state_dict_is_refused(tmp_path):
    path = tmp_path / "tensors.pt"
    torch.save([torch.zeros(2)], path)
    with pytest.raises(WeightsError, match=r"tensors.pt: holds no state_dict"):
        load_state_dict_file(path)


def test_missing_file_and_folder_are_refused(tmp_path):
    with pytest.raises(WeightsError, match=r"gone.pth: no such file"):
        load_state_dict_file(tmp_path / "gone.pth")
    with pytest.raises(WeightsError, match="is a folder"):
        load_state_dict_file(tmp_path)


def test_a_text_file_as_weights_says_so_in_plain_words(tmp_path) -> None:
    from viewer.core.errors import WeightsError
    from viewer.engine.models.weights import load_state_dict_file

    path = tmp_path / "notes.pth"
    path.write_text("just some text\n")
    with pytest.raises(WeightsError) as error:
        load_state_dict_file(path)
    assert str(error.value) == "notes.pth: not a PyTorch weights file (neither a torch archive nor a pickle)."
