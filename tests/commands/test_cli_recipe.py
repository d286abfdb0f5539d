"""``--recipe``: a weights file gets the preprocessing it was trained with, and every result says which."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageOps
from torchvision.models import MobileNet_V2_Weights, mobilenet_v2

from viewer.cli import main
from viewer.core.images.paths import expand_image_paths


def _reference(weights_file: Path, images: list[str], transforms) -> dict[str, torch.Tensor]:
    """Plain torchvision: the state_dict in torchvision's MobileNetV2, ``transforms`` on each photo, softmax.

    Read as the app reads a photo (EXIF orientation applied, transparency over white), which is not what this
    test is about."""
    model = mobilenet_v2()
    model.load_state_dict(torch.load(weights_file, map_location="cpu", weights_only=True))
    model.eval()
    probs = {}
    for path in images:
        with Image.open(path) as opened:
            picture = ImageOps.exif_transpose(opened).convert("RGBA")
        white = Image.new("RGBA", picture.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, picture).convert("RGB")
        with torch.inference_mode():
            probs[Path(path).name] = model(transforms(rgb).unsqueeze(0))[0].softmax(0)
    return probs


def _classify_json(args: list[str], capsys: pytest.CaptureFixture[str], *, assumed: bool = False) -> dict[str, dict]:
    assert main(["classify", *args, "--json", "--topk", "5"]) == 0
    captured = capsys.readouterr()
    if assumed:  # a file that does not say its recipe: the text output says what is assumed
        assert main(["classify", *args]) == 0
        assert "preprocess weights (IMAGENET1K_V2: resize 232, crop 224, bilinear; assumed, the file does not say" in (
            capsys.readouterr().out
        )
    return {Path(entry["image"]).name: entry for entry in json.loads(captured.out)}


def test_recipe_v1_gives_torchvisions_v1_transforms_on_every_shared_photo(shared_data, mobilenet_args, capsys) -> None:
    folder = shared_data / "images"
    images = expand_image_paths([str(folder)]).files
    weights_file = Path(mobilenet_args[mobilenet_args.index("--weights") + 1])
    reference = _reference(weights_file, images, MobileNet_V2_Weights.IMAGENET1K_V1.transforms())

    ours = _classify_json([str(folder), *mobilenet_args, "--recipe", "IMAGENET1K_V1"], capsys)
    assert set(ours) == set(reference)
    for name, entry in ours.items():
        expected = reference[name]
        assert entry["topk"][0]["index"] == int(expected.argmax()), name
        for top in entry["topk"]:
            assert top["prob"] == pytest.approx(float(expected[top["index"]]), abs=1e-5), (name, top)
        assert entry["recipe"] == {
            "resize": 256,
            "crop": 224,
            "interpolation": "bilinear",
            "mean": [0.485, 0.456, 0.406],
            "std": [0.229, 0.224, 0.225],
            "name": "IMAGENET1K_V1",
            "said_by": "--recipe",
            "preset": "weights",
        }

    # Without --recipe the file does not say its recipe: the default (V2, resize 232) stays, and says so.
    default = _classify_json([str(folder), *mobilenet_args], capsys, assumed=True)
    assert {entry["recipe"]["resize"] for entry in default.values()} == {232}
    assert all(entry["recipe"]["said_by"].startswith("not said by the file") for entry in default.values())
    changed = [name for name in ours if ours[name]["topk"][0]["index"] != default[name]["topk"][0]["index"]]
    assert changed, "the recipe should change the top-1 of some shared photo"


def test_explicit_values_equal_the_enum_they_spell(shared_data, mobilenet_args, capsys) -> None:
    photo = str(shared_data / "images" / "tv_dog1.jpg")
    spelled = "resize=256,crop=224,interpolation=bilinear,mean=0.485:0.456:0.406,std=0.229:0.224:0.225"
    by_name = _classify_json([photo, *mobilenet_args, "--recipe", "IMAGENET1K_V1"], capsys)["tv_dog1.jpg"]
    by_values = _classify_json([photo, *mobilenet_args, "--recipe", spelled], capsys)["tv_dog1.jpg"]
    assert by_values["topk"] == by_name["topk"]
    assert by_values["recipe"]["name"] is None and by_values["recipe"]["resize"] == 256


def test_a_checkpoint_that_saved_its_recipe_gets_it(shared_data, tmp_path, capsys) -> None:
    state = torch.load(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth", weights_only=True)
    saved = tmp_path / "with_recipe.pth"
    torch.save({"state_dict": state, "recipe": "IMAGENET1K_V1"}, saved)
    args = [str(shared_data / "images" / "tv_dog2.jpg"), "--model", "mobilenet_v2", "--weights", str(saved)]
    entry = _classify_json([*args, "--device", "cpu"], capsys)["tv_dog2.jpg"]
    assert entry["recipe"]["resize"] == 256 and entry["recipe"]["said_by"] == "the checkpoint's saved recipe"


def test_a_file_with_torchvisions_published_sha256_is_recognised() -> None:
    from viewer.engine.models.recipes import published_member
    from viewer.engine.models.registry import get_spec

    # torchvision names its files after their sha256's first hex digits: mobilenet_v2-b0353104.pth is V1.
    assert published_member(get_spec("mobilenet_v2"), "b0353104" + "0" * 56).name == "IMAGENET1K_V1"
    assert published_member(get_spec("mobilenet_v2"), "7ebf99e0" + "0" * 56).name == "IMAGENET1K_V2"
    assert published_member(get_spec("resnet50_v1"), "0676ba61" + "0" * 56).name == "IMAGENET1K_V1"
    assert published_member(get_spec("mobilenet_v2"), "cea64463" + "0" * 56) is None
    assert published_member(get_spec("lenet5"), "b0353104" + "0" * 56) is None


@pytest.mark.parametrize("command", [
    ["activations", "--layer", "features.0"],
    ["heatmap", "--scales", "1"],
    ["explain", "--method", "saliency"],
])  # fmt: skip
def test_every_command_that_takes_weights_records_the_recipe(command, shared_data, mobilenet_args, capsys) -> None:
    photo = str(shared_data / "images" / "sk_coffee.png")
    assert main([command[0], photo, *command[1:], *mobilenet_args, "--recipe", "IMAGENET1K_V1", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["recipe"]["resize"] == 256 and document["recipe"]["said_by"] == "--recipe"


def test_compare_takes_a_recipe_per_network_and_records_it(shared_data, mobilenet_args, capsys) -> None:
    weights = mobilenet_args[mobilenet_args.index("--weights") + 1]
    photo = str(shared_data / "images" / "sk_coffee.png")
    assert main(["compare", photo, "--model", "mobilenet_v2", "--weights", weights, "--recipe", "IMAGENET1K_V1",
                 "--model", "mobilenet_v2", "--weights", weights, "--runs", "1", "--device", "cpu",
                 "--json", "-"]) == 0  # fmt: skip
    first, second = json.loads(capsys.readouterr().out)["networks"]
    assert (first["recipe"]["resize"], first["recipe"]["said_by"]) == (256, "--recipe")
    assert second["recipe"]["resize"] == 232 and second["recipe"]["said_by"].startswith("not said by the file")


def test_a_recipe_the_network_does_not_have_is_one_sentence(mobilenet_args, shared_data, capsys) -> None:
    photo = str(shared_data / "images" / "sk_coffee.png")
    assert main(["classify", photo, *mobilenet_args, "--recipe", "IMAGENET1K_V9"]) == 2
    assert "no such weights (known: IMAGENET1K_V1, IMAGENET1K_V2)" in capsys.readouterr().err
    assert main(["classify", photo, "--model", "lenet5", "--recipe", "IMAGENET1K_V1"]) == 2
    assert "give explicit values" in capsys.readouterr().err


def test_the_window_takes_a_recipe_for_its_first_weights_and_refuses_a_typo_before_opening(
    monkeypatch, mobilenet_args, capsys
) -> None:
    import viewer.gui.window.launch

    opened: list[dict] = []
    monkeypatch.setattr(viewer.gui.window.launch, "run_gui", lambda images, **options: opened.append(options) or 0)
    assert main(["gui", *mobilenet_args, "--recipe", "IMAGENET1K_V1"]) == 0
    assert opened[0]["recipe"] == "IMAGENET1K_V1" and opened[0]["weights"].endswith("mobilenet_v2_imagenet1k.pth")
    # Explicit values are read before the network is known: a 1-channel mean (LeNet-5's) is no error here.
    assert main(["gui", "--model", "lenet5", "--recipe", "resize=36,crop=32,mean=0.13,std=0.31"]) == 0
    assert opened[1]["recipe"] == "resize=36,crop=32,mean=0.13,std=0.31" and len(opened) == 2

    assert main(["gui", "--recipe", "resize=big"]) == 2  # one sentence, and no window
    assert "resize=big: expected a whole number of pixels" in capsys.readouterr().err and len(opened) == 2
