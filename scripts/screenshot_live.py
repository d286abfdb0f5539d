"""The README's live screenshot (issue 24): a video of three shared photos playing live at 1366x768.

    VIEWER_ENGINE=thread .venv/bin/python scripts/screenshot_live.py [--data ../shared/data] [--out docs/screenshots]

The video is made with PyAV (each photo four seconds, 12 frames a second, played at half speed); one frame is
frozen into the image list first (so the Predictions tab shows it), then the video goes on with the live heatmap
switched on; the shot is taken
with the source paused, once the frame shown has its own top-k drawn over it. MobileNetV2 with the shared
ImageNet weights. Offscreen when there is no display.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ("tv_dog2.jpg", "sk_camera.png", "snake.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT / "tests"))
    from video_factory import make_video

    folder = Path(tempfile.mkdtemp(prefix="viewer-live-shot-"))
    video = make_video(folder / "street.mp4", [args.data / "images" / n for n in PHOTOS], seconds=4, fps=12, side=480)

    from viewer.bench.common import wait_until
    from viewer.gui.runtime.application import create_application
    from viewer.gui.runtime.settings import use_settings_path
    from viewer.gui.state import AppState, ModelChoice
    from viewer.gui.window.main_window import MainWindow

    create_application()
    use_settings_path(folder / "settings")
    state = AppState()
    window = MainWindow(state, restore_choice=False)
    weights = str(args.data / "weights" / "mobilenet_v2_imagenet1k.pth")
    state.model.choice = ModelChoice("mobilenet_v2", weights, None, "cpu", recipe="IMAGENET1K_V1")
    window.model_bar.set_choice(state.model.choice)
    window.resize(1366, 768)
    window.show()
    state.start()

    def wait(condition: Callable[[], bool], seconds: float = 180) -> None:
        # The event loop, idle between checks: a loop spinning on processEvents would keep a core busy and starve
        # the engine (niced) of it.
        wait_until(condition, seconds)

    wait(lambda: state.model.info is not None)
    window.open_paths([str(video)])
    links, live = window.live_links, state.live
    links.source.player.setPlaybackRate(0.5)
    wait(lambda: live.analysed >= 3)
    links.freeze_action.trigger()  # Space: the frame joins the image list
    wait(lambda: state.predictions.prediction is not None)
    links.freeze_action.trigger()  # and the video goes on, with the heatmap of each frame's top-1 over it
    links.panel.heatmap_button.click()
    wait(lambda: live.result is not None and live.result.heatmap is not None and live.result.time_s > 5.0)
    links.source.pause()  # the frame shown is the newest: its top-k comes next, drawn over it
    wait(lambda: not live._in_flight() and live._waiting is None)
    settled = time.perf_counter() + 0.5  # the last paint
    wait(lambda: time.perf_counter() > settled)
    args.out.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(args.out / "live.png"))
    print(f"wrote {args.out / 'live.png'} ({live.analysed} of {live.shown} frames analysed, rates {live.rates})")
    window.close()


if __name__ == "__main__":  # the engine process imports this module again (spawn): nothing runs then
    main()
