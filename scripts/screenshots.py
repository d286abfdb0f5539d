"""Make the README screenshots from the real app: one per tab, MobileNetV2 (shared weights) on tv_dog2.jpg.

Two more show the first ten minutes at ``--size 1366x768`` (a laptop): ``welcome`` (the empty window with its
samples) and ``offline`` (ResNet-18's pretrained weights cannot be downloaded: the notice and its choices).

    .venv/bin/python scripts/screenshots.py [--data ../shared/data] [--out docs/screenshots] [--shot NAME]

Each shot is taken in a fresh process through the app's own screenshot mode (``run_gui(screenshot=...)``),
which waits until every job of that state has finished (the Architecture diagram's layout included); offscreen
when there is no display. The Architecture shots show the lecture's two building blocks: GoogLeNet's Inception
module (``inception4a``, with the training-only auxiliary head that branches off after it) and ResNet-50's
bottleneck (``layer1.0``: 1×1, 3×3, 1×1, the projection shortcut and the sum); ``architecture_lr`` shows
GoogLeNet left to right (top-down it is a tall, narrow column, too small to read when fitted on a laptop).
Networks other than MobileNetV2 have random weights: the diagrams need none.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's app, whichever copy the environment has installed
MOBILENET = {"model": "mobilenet_v2", "weights": "mobilenet_v2_imagenet1k.pth"}
SHOTS: dict[str, dict[str, Any]] = {  # file name (without .png) -> run_gui arguments
    "predictions": {"tab": "predictions", **MOBILENET},
    # an early expansion conv: 96 channels of 56x56 maps
    "activations": {"tab": "activations", "layer": "features.2.conv.0.0", **MOBILENET},
    "architecture": {"tab": "architecture", "model": "googlenet", "weights": "none", "expand": "inception4a"},
    # a bottleneck is ten boxes tall: a taller window shows it whole at 100 %
    "architecture_resnet": {
        "tab": "architecture",
        "model": "resnet50",
        "weights": "none",
        "expand": "layer1.0",
        "window_size": (1400, 1180),
    },
    # Left to right: the data flows across the screen, the Inception module's branches stacked, the head below.
    "architecture_lr": {
        "tab": "architecture",
        "model": "googlenet",
        "weights": "none",
        "expand": "inception4a",
        "direction": "LR",
    },
    "heatmap": {"tab": "heatmap", **MOBILENET},
    # The first ten minutes, on a 1366x768 laptop: the empty window, and a pretrained pick with no network.
    "welcome": {
        "tab": "predictions",
        "model": "lenet5",
        "weights": "default",
        "images": [],
        "window_size": (1366, 768),
    },
    "offline": {
        "tab": "architecture",
        "model": "resnet18",
        "weights": "default",
        "offline": True,
        "images": ["sample_dog.jpg"],
        "window_size": (1366, 768),
    },
}
SHOTS.update({shot: {"custom": True} for shot in ("compare", "explain", "chart")})  # screenshots_compare.py


def shoot(name: str, data: Path, out: Path) -> int:
    options = dict(SHOTS[name])
    if options.get("custom"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from screenshots_compare import shoot_custom

        return shoot_custom(name, data, out)
    if options.pop("offline", False):
        # As on a first run without a network: an empty weights cache and a weights URL nobody answers.
        import tempfile

        os.environ["TORCH_HOME"] = tempfile.mkdtemp(prefix="viewer-screenshot-torch-")
        os.environ["VIEWER_WEIGHTS_URL_BASE"] = "http://127.0.0.1:9/"
    from viewer.gui.window.help_texts import resource_path
    from viewer.gui.window.launch import run_gui

    if options["weights"] not in ("none", "default"):
        options["weights"] = str(data / "weights" / options["weights"])
    if options["weights"] == "default":
        del options["weights"]
    images = options.pop("images", None)
    images = [str(data / "images" / "tv_dog2.jpg")] if images is None else [str(resource_path(i)) for i in images]
    return run_gui(images, device="cpu", screenshot=str(out / f"{name}.png"), **options)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--shot", choices=SHOTS, help="take one shot in this process (used by the loop)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.shot:
        return shoot(args.shot, args.data, args.out)
    env = {**os.environ}
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    failed = 0
    for name in SHOTS:
        command = [sys.executable, __file__, "--shot", name, "--data", str(args.data), "--out", str(args.out)]
        status = subprocess.run(command, env=env, check=False).returncode
        print(f"{name}: {'ok' if status == 0 else f'failed ({status})'} -> {args.out / (name + '.png')}")
        failed += status != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
