"""Compare: several networks on one image (real MobileNetV2, bundled LeNet-5, a random ResNet-18); the chart data
and the cached latency measurement."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torchvision
from PIL import Image

from viewer.core.errors import ModelError
from viewer.core.progress import Progress, run_job
from viewer.engine.compare import compare, weights_accuracy
from viewer.engine.models.weights import load_model
from viewer.engine.zoo_chart import (
    CACHE_ENV,
    LECTURE_NETWORKS,
    default_compare_networks,
    latency_cache_path,
    load_latency_cache,
    measure_latency,
    zoo_points,
)


@pytest.fixture(scope="module")
def comparison(shared_data: Path):
    networks = [
        ("lenet5", "default"),
        ("mobilenet_v2", str(shared_data / "weights/mobilenet_v2_imagenet1k.pth")),
        ("resnet18", "none"),
    ]
    job = compare(networks, shared_data / "images/tv_dog2.jpg", topk=3, runs=3, device="cpu")
    steps = []
    while True:
        try:
            steps.append(next(job))
        except StopIteration as stop:
            return stop.value, steps


def test_each_network_has_its_column(comparison) -> None:
    result, steps = comparison
    assert [n.model for n in result.networks] == ["lenet5", "mobilenet_v2", "resnet18"]
    assert all(isinstance(step, Progress) for step in steps) and len(steps) == 6
    lenet, mobilenet, resnet = result.networks
    assert mobilenet.topk[0].name == "German shepherd" and mobilenet.topk[0].prob > 0.9
    assert all(len(n.topk) == 3 and n.time_ms > 0 and n.runs == 3 for n in result.networks)
    assert "median of 3 warm runs" in mobilenet.time_label
    assert mobilenet.params == 3_504_872 and resnet.params == 11_689_512
    assert resnet.gmacs == pytest.approx(1.814) and lenet.input_size == (1, 28, 28)
    # Accuracy only where published for the weights loaded: the bundled LeNet's MNIST record; not a file, not random.
    assert lenet.accuracy_dataset == "MNIST" and lenet.accuracy["acc@1"] > 95
    assert mobilenet.accuracy == {} and resnet.accuracy == {} and not resnet.pretrained
    document = json.loads(json.dumps(result.as_dict()))
    assert document["networks"][1]["topk"][0]["index"] == 235


def test_accuracy_is_that_of_the_weights_member() -> None:
    meta = load_model("resnet50", "none", device="meta")
    for member in ("IMAGENET1K_V1", "IMAGENET1K_V2"):
        accuracy, dataset = weights_accuracy(dataclasses.replace(meta, weights=member))
        expected = torchvision.models.ResNet50_Weights[member].meta["_metrics"]["ImageNet-1K"]
        assert dataset == "ImageNet-1K" and accuracy == {"acc@1": expected["acc@1"], "acc@5": expected["acc@5"]}


def test_two_to_six_networks(shared_data: Path) -> None:
    with pytest.raises(ModelError, match="2 to 6"):
        run_job(compare([("lenet5", "default")], shared_data / "images/tv_dog2.jpg"))
    with pytest.raises(ModelError, match="2 to 6"):
        run_job(compare([("lenet5", "default")] * 7, shared_data / "images/tv_dog2.jpg"))


def test_chart_points_are_the_imagenet_networks() -> None:
    points = {point.name: point for point in zoo_points()}
    assert {"alexnet", "vgg16", "googlenet", "resnet50", "resnext50_32x4d", "mobilenet_v2"} <= set(points)
    assert "lenet5" not in points and "nin" not in points and "resnet50_v1" not in points  # no ImageNet numbers
    alexnet = points["alexnet"]
    meta = torchvision.models.AlexNet_Weights.DEFAULT.meta
    assert alexnet.acc1 == meta["_metrics"]["ImageNet-1K"]["acc@1"] and alexnet.gmacs == meta["_ops"]
    assert alexnet.family == "AlexNet" and alexnet.lecture and not points["mobilenet_v2"].lecture
    assert {name for name, point in points.items() if point.lecture} == set(LECTURE_NETWORKS)
    assert [name for name, _ in default_compare_networks()][:3] == ["alexnet", "vgg16", "googlenet"]


def test_latency_is_measured_once_per_device_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    job = measure_latency(["lenet5", "nin"], device="cpu", runs=2)
    steps = []
    while True:
        try:
            steps.append(next(job))
        except StopIteration as stop:
            first = stop.value
            break
    assert len(steps) == 2 and set(first) == {"lenet5", "nin"} and all(ms > 0 for ms in first.values())
    path = latency_cache_path("cpu")
    assert path.parent == tmp_path and "torch" in path.name and path.exists()
    assert load_latency_cache("cpu") == first
    again = measure_latency(["lenet5", "nin"], device="cpu")
    with pytest.raises(StopIteration) as stop:
        next(again)  # nothing to measure: returns at once
    assert stop.value.value == first


def test_a_network_whose_weights_cannot_be_had_is_reported_and_the_others_run(shared_data: Path) -> None:
    # The test session has no weights cache and a weights URL nobody answers (tests/conftest.py): offline.
    result = run_job(compare([("resnet18", "default"), ("lenet5", "default")], shared_data / "mnist/mnist_2.png"))
    offline, lenet = result.networks
    assert offline.model == "resnet18" and offline.error and offline.topk == [] and offline.params == 11_689_512
    assert not lenet.error and lenet.topk[0].name == "2"


def test_a_network_that_refuses_the_image_is_reported_and_the_others_run(tmp_path: Path) -> None:
    strip = tmp_path / "strip.png"  # opens, but resizing its short side to 256 px would make 2.5 gigapixels
    Image.new("RGB", (20000, 2)).save(strip)
    result = run_job(compare([("squeezenet1_1", "none"), ("lenet5", "default")], strip, runs=1, device="cpu"))
    refused, lenet = result.networks
    assert refused.model == "squeezenet1_1" and "too elongated" in refused.error and refused.topk == []
    assert not lenet.error and len(lenet.topk) == 5


def test_dense_maps_of_one_class_where_the_network_has_it(shared_data: Path) -> None:
    weights = str(shared_data / "weights/mobilenet_v2_imagenet1k.pth")
    networks = [("mobilenet_v2", weights), ("lenet5", "default")]
    result = run_job(compare(networks, shared_data / "images/tv_dog2.jpg", runs=1, heatmap_class=235))
    mobilenet, lenet = result.networks
    assert mobilenet.heatmap is not None and mobilenet.heatmap.shape == (500, 500)
    assert lenet.heatmap is None and any("no class 235" in note for note in lenet.notes)
    document = json.loads(json.dumps(result.as_dict()))
    assert document["networks"][0]["heatmap"]["shape"] == [500, 500] and document["networks"][1]["heatmap"] is None
