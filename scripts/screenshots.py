"""Make the README screenshots from the real app: one per tab, MobileNetV2 (shared weights) on tv_dog2.jpg.

    .venv/bin/python scripts/screenshots.py [--data ../shared/data] [--out docs/screenshots]

Each tab is shot in a fresh process through the app's own screenshot mode (``run_gui(screenshot=...)``),
which waits until every job of that state has finished; offscreen when there is no display.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABS = ("predictions", "activations", "architecture", "heatmap")
LAYERS = {"activations": "features.2.conv.0.0"}  # an early expansion conv: 96 channels of 56x56 maps


def shoot(tab: str, data: Path, out: Path) -> int:
    from viewer.gui.launch import run_gui

    return run_gui(
        [str(data / "images" / "tv_dog2.jpg")],
        model="mobilenet_v2",
        weights=str(data / "weights" / "mobilenet_v2_imagenet1k.pth"),
        device="cpu",
        tab=tab,
        layer=LAYERS.get(tab),
        screenshot=str(out / f"{tab}.png"),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--tab", choices=TABS, help="shoot one tab in this process (used by the loop)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.tab:
        return shoot(args.tab, args.data, args.out)
    env = {**os.environ}
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    failed = 0
    for tab in TABS:
        command = [sys.executable, __file__, "--tab", tab, "--data", str(args.data), "--out", str(args.out)]
        status = subprocess.run(command, env=env).returncode
        print(f"{tab}: {'ok' if status == 0 else f'failed ({status})'} -> {args.out / (tab + '.png')}")
        failed += status != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
