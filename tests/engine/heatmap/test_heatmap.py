"""Dense class heatmaps: real ImageNet MobileNetV2 maps peak on the right objects; tiles, offsets, cancel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from viewer.core.errors import ImageError
from viewer.core.progress import Progress
from viewer.core.results.heatmap import ClassHeatmap
from viewer.engine.heatmap.dense import dense_heatmap, dense_network, run_heatmap
from viewer.engine.heatmap.geometry import GridGeometry, place_on_image
from viewer.engine.images import load_image
from viewer.engine.models.weights import load_model

# Object boxes (x0, y0, x1, y1) in image pixels, measured by eye on the images with a 50/100 px grid drawn.
CAT_DOG_DOG = (70, 0, 175, 155)  # bulldog, upper middle of the 224×224 picture
CAT_DOG_CAT = (35, 110, 210, 224)  # tabby lying across the bottom
DARKNET_DOG = (120, 200, 320, 560)  # dog sitting bottom left of the 768×576 picture
DARKNET_BICYCLE = (115, 120, 575, 430)
DARKNET_TRUCK = (455, 60, 745, 175)  # white pickup, top right


@pytest.fixture(scope="module")
def mobilenet(shared_data: Path):
    return load_model("mobilenet_v2", str(shared_data / "weights/mobilenet_v2_imagenet1k.pth"), device="cpu")


@pytest.fixture(scope="module")
def alexnet():
    torch.manual_seed(0)
    return load_model("alexnet", "none", device="cpu", seed=0)


def peak(heatmap: ClassHeatmap) -> tuple[int, int]:
    row, col = np.unravel_index(np.argmax(heatmap.scores), heatmap.scores.shape)
    return int(col), int(row)


def inside(point: tuple[int, int], box: tuple[int, int, int, int]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def test_cat_dog_maps_peak_on_each_animal(mobilenet, shared_data: Path) -> None:
    image = load_image(shared_data / "images/cat_dog.png")
    dog = run_heatmap(mobilenet, image, class_index=mobilenet.categories.index("bull mastiff"))
    cat = run_heatmap(mobilenet, image, class_index=mobilenet.categories.index("tiger cat"))
    assert inside(peak(dog), CAT_DOG_DOG), peak(dog)
    assert inside(peak(cat), CAT_DOG_CAT), peak(cat)
    assert not inside(peak(dog), CAT_DOG_CAT) or not inside(peak(cat), CAT_DOG_DOG)
    for heatmap in (dog, cat):
        assert heatmap.scores.shape == (224, 224) and heatmap.scores.dtype == np.float32
        assert heatmap.scores.min() >= 0.0 and heatmap.scores.max() <= 1.0  # softmax probabilities
        assert len(heatmap.per_scale) == 3 and all(m.shape == (224, 224) for m in heatmap.per_scale)
        assert heatmap.grid_shapes == [(8, 8), (11, 11), (15, 15)]  # 256, 358, 512 px at stride 32


def test_darknet_dog_bicycle_and_truck(mobilenet, shared_data: Path) -> None:
    image = load_image(shared_data / "images/darknet_dog.jpg")
    top = run_heatmap(mobilenet, image)  # class None: the top class of the whole image, a dog breed
    assert 151 <= top.class_index <= 268, top.class_name
    assert inside(peak(top), DARKNET_DOG), (top.class_name, peak(top))
    # Weak classes are clearer as logits: a softmax also depends on every competing class in the cell.
    bicycle = run_heatmap(mobilenet, image, class_index=mobilenet.categories.index("mountain bike"), mode="logit")
    truck = run_heatmap(mobilenet, image, class_index=mobilenet.categories.index("pickup"), mode="logit")
    assert inside(peak(bicycle), DARKNET_BICYCLE), peak(bicycle)
    assert inside(peak(truck), DARKNET_TRUCK), peak(truck)
    assert truck.scores.shape == (576, 768) and truck.image_size == (768, 576)


def test_provenance_is_json(mobilenet, shared_data: Path) -> None:
    heatmap = run_heatmap(mobilenet, shared_data / "images/cat_dog.png", class_index=281, scales=(1.0,), fuse="max")
    record = json.loads(json.dumps(heatmap.provenance()))
    assert record["model"] == "mobilenet_v2" and record["weights_sha256"] == mobilenet.weights_sha256
    assert record["class_index"] == 281 and record["class_name"] == "tabby"
    assert record["image"]["size"] == [224, 224] and record["scales"] == [1.0] and record["fuse"] == "max"
    assert record["geometry"]["jump"] == [32.0, 32.0] and record["versions"]["torch"] == torch.__version__
    assert record["preprocessing"]["mean"] == list(mobilenet.input.mean)


def test_offsets_are_ignored_with_a_note_on_mobilenet(mobilenet, shared_data: Path) -> None:
    heatmap = run_heatmap(mobilenet, shared_data / "images/cat_dog.png", class_index=0, scales=(1.0,), offsets=True)
    assert not heatmap.offsets and any("offsets ignored" in note for note in heatmap.notes)


def test_no_scale_fits_is_an_image_error(mobilenet, shared_data: Path) -> None:
    with pytest.raises(ImageError, match="no scale fits"):
        run_heatmap(mobilenet, shared_data / "images/cat_dog.png", class_index=0, scales=(0.25, 0.5))
    heatmap = run_heatmap(mobilenet, shared_data / "images/cat_dog.png", class_index=0, scales=(0.5, 1.0))
    assert heatmap.scales == (1.0,) and any("scale 0.5 skipped" in note for note in heatmap.notes)


def test_offsets_give_a_finer_grid_with_the_same_values_at_shared_cells(alexnet, shared_data: Path) -> None:
    options = dict(class_index=7, scales=(1.0,), base_size=288, mode="logit")
    plain = run_heatmap(alexnet, shared_data / "images/darknet_dog.jpg", **options)
    fine = run_heatmap(alexnet, shared_data / "images/darknet_dog.jpg", offsets=True, **options)
    (rows, cols), (fine_rows, fine_cols) = plain.grid_shapes[0], fine.grid_shapes[0]
    assert fine.offsets and fine_rows >= 2 * rows - 1 and fine_cols >= 2 * cols - 1
    np.testing.assert_allclose(fine.grids[0][::2, ::2][:rows, :cols], plain.grids[0], rtol=1e-5, atol=1e-6)
    assert fine.geometry["jump"] == [16.0, 16.0] and plain.geometry["jump"] == [32.0, 32.0]


@pytest.mark.parametrize(("name", "base", "tile"), [("alexnet", 400, 400 * 500), ("nin", 64, 48 * 48)])
def test_tiled_equals_untiled(name: str, base: int, tile: int, shared_data: Path) -> None:
    loaded = load_model(name, "none", device="cpu", seed=0)
    options = dict(class_index=3, scales=(1.0,), base_size=base, offsets=name == "alexnet")
    image = load_image(shared_data / "images/darknet_dog.jpg")
    whole = run_heatmap(loaded, image, **options)
    tiled = run_heatmap(loaded, image, max_tile_pixels=tile, **options)
    assert whole.tiles == [1] and tiled.tiles[0] > 1
    assert tiled.grid_shapes == whole.grid_shapes
    np.testing.assert_allclose(tiled.grids[0], whole.grids[0], rtol=1e-5, atol=1e-7)


def test_cancelling_stops_within_one_step(alexnet, shared_data: Path) -> None:
    passes = []
    handle = (
        dense_network(alexnet)
        .folded.module.get_submodule("features.0")  # what the passes run (the BatchNorm-folded network)
        .register_forward_hook(lambda module, inputs, output: passes.append(type(output).__name__ != "FakeTensor"))
    )
    try:
        generator = dense_heatmap(
            alexnet,
            shared_data / "images/darknet_dog.jpg",
            class_index=1,
            scales=(1.0,),
            base_size=400,
            max_tile_pixels=400 * 440,
        )
        first, second = next(generator), next(generator)
        assert isinstance(first, Progress) and second.step == 1 and second.total > 3
        generator.close()
        assert sum(passes) == 1  # (fake-tensor shape passes excluded) the pass announced by `second` never ran
        with pytest.raises(StopIteration):
            next(generator)
    finally:
        handle.remove()


def test_placement_follows_the_receptive_field_geometry() -> None:
    """A single hot cell lands where its receptive field is centred, not where stretching would put it."""
    geometry = GridGeometry(jump=(32.0, 32.0), start=(0.0, 0.0), size=(427.0, 427.0))  # ResNet-like, top-left
    scores = np.zeros((8, 10), dtype=np.float32)
    scores[2, 3] = 1.0
    placed = place_on_image(scores, geometry.centres(scores.shape), (320, 256), (640, 512))
    row, col = np.unravel_index(np.argmax(placed), placed.shape)
    # Cell (2, 3) is centred at (64, 96) in the 320×256 input, i.e. (128.5, 192.5) in the 640×512 image.
    assert abs(row - 128.5) <= 0.5 and abs(col - 192.5) <= 0.5
    assert placed.shape == (512, 640) and placed.max() <= 1.0


def test_lenet_digit_with_offsets_on_a_tiny_image(shared_data: Path) -> None:
    """At 28 px only the unshifted pooling fits LeNet's 4×4 classifier window; larger scales interleave."""
    lenet = load_model("lenet5", "default", device="cpu")
    plain = run_heatmap(lenet, shared_data / "mnist/mnist_3.png")
    fine = run_heatmap(lenet, shared_data / "mnist/mnist_3.png", offsets=True)
    assert plain.class_name == fine.class_name == "3"
    assert plain.grid_shapes == [(1, 1), (3, 3), (8, 8)] and fine.grid_shapes == [(1, 1), (6, 6), (15, 15)]
    np.testing.assert_allclose(fine.grids[2][::2, ::2], plain.grids[2], rtol=1e-5, atol=1e-6)


def test_class_index_out_of_range_is_refused_before_any_work(mobilenet, shared_data: Path) -> None:
    from viewer.core.errors import ModelError

    with pytest.raises(ModelError, match="no class 1000"):
        next(dense_heatmap(mobilenet, shared_data / "images/cat_dog.png", class_index=1000))


def test_a_tile_budget_below_one_receptive_field_uses_the_smallest_exact_tiles(shared_data) -> None:
    from viewer.engine.heatmap.dense import run_heatmap
    from viewer.engine.images import load_image
    from viewer.engine.models.weights import load_model

    loaded = load_model("nin", "none", device="cpu")
    image = load_image(shared_data / "images" / "sk_coffee.png")
    whole = run_heatmap(loaded, image, class_index=3, scales=(4.0,))
    tiny = run_heatmap(loaded, image, class_index=3, scales=(4.0,), max_tile_pixels=16)
    assert tiny.tiles[0] > 1
    np.testing.assert_allclose(tiny.scores, whole.scores, rtol=1e-4, atol=1e-5)


def test_a_thin_strip_is_refused_without_allocating_gigabytes(tmp_path) -> None:
    from PIL import Image

    from viewer.engine.models.weights import load_model

    path = tmp_path / "strip.png"
    Image.new("RGB", (20000, 2), (90, 120, 30)).save(path)
    loaded = load_model("squeezenet1_1", "none", device="cpu")
    with pytest.raises(ImageError, match="no scale fits"):
        run_heatmap(loaded, load_image(path), class_index=1, scales=(1.0, 2.0))
