"""Live: a video played through Qt Multimedia into the sink, the newest frame to the engine, the top-k over it.

The video is made here with PyAV from the shared photos (one second each); QMediaPlayer plays it into the same
QVideoSink a camera feeds, so that from the sink on the camera's path is this one (a camera cannot be tested
here). Needs Qt Multimedia (on Linux it loads PulseAudio's library): skipped where it cannot be imported.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import pytest
from PySide6 import QtGui
from video_factory import PHOTOS, make_video

from viewer.core.results.live import FrameResult

QtMultimedia = pytest.importorskip("PySide6.QtMultimedia", exc_type=ImportError)

JOB_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    photos = [shared_data / "images" / name for name, _ in PHOTOS]
    return make_video(tmp_path_factory.mktemp("video") / "photos.mp4", photos, seconds=1.0, fps=4)


@pytest.fixture
def window(make_window, shared_data: Path):
    return make_window("mobilenet_v2", str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth"))


def test_a_dropped_video_plays_and_top1_follows_the_photos(qtbot, window, video: Path, shared_data: Path) -> None:
    live, links = window.state.live, window.live_links
    # A photo first, as a user would have: the network's first pass (seconds on a loaded 2-core machine, while
    # its kernels are chosen) is then not the first photo's whole second of video.
    window.open_paths([str(shared_data / "images" / "kitten.jpg")])
    qtbot.waitUntil(lambda: window.state.predictions.prediction is not None, timeout=JOB_TIMEOUT_MS)
    results: list[FrameResult] = []
    live.result_changed.connect(lambda result: results.append(result) if result is not None else None)
    ended: list[bool] = []
    links.source.ended.connect(lambda: ended.append(True))
    window.open_paths([str(video)])  # as a drop: the video goes live, not into the image list
    assert window.image_stack.currentWidget() is links.panel and len(window.state.images) == 1
    qtbot.waitUntil(lambda: bool(ended), timeout=JOB_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not live._in_flight(), timeout=JOB_TIMEOUT_MS)
    # At the video's own rate, the frames analysed are those the network had time for: never more than shown,
    # each once and in order, and their top-1s follow the photos' order (a photo may be skipped on a busy machine).
    assert 0 < live.analysed <= live.shown <= 4 * len(PHOTOS) and live.rates[1] > 0
    numbers = [r.number for r in results]
    assert numbers == sorted(set(numbers))  # nothing queued behind
    names = [name for _, name in PHOTOS]
    seen = [name for name, _ in groupby(r.top1.name for r in results)]
    assert seen == sorted(seen, key=names.index), seen
    assert links.canvas.result is results[-1] and links.canvas.frame is not None
    # Then each photo's middle, the player paused and sought there (the frame it shows goes through the same sink):
    # the top-1 of each is its photo, whatever the machine's speed.
    player = links.source.player
    player.pause()
    for index, (_photo, name) in enumerate(PHOTOS):
        analysed = live.analysed
        player.setPosition(index * 1000 + 500)
        qtbot.waitUntil(
            lambda analysed=analysed: live.analysed > analysed and not live._in_flight(), timeout=JOB_TIMEOUT_MS
        )
        assert live.result is not None and live.result.top1.name == name
        assert index + 0.25 <= live.result.time_s <= index + 0.75


def _frame(colour: int, start_us: int):
    image = QtGui.QImage(320, 240, QtGui.QImage.Format.Format_RGB32)
    image.fill(colour)
    frame = QtMultimedia.QVideoFrame(image)
    frame.setStartTime(start_us)
    return frame


def test_a_burst_faster_than_the_network_leaves_no_queue(qtbot, window) -> None:
    live, links = window.state.live, window.live_links
    links.source._make_sink()
    links.start("burst")
    for number in range(40):  # one GUI-thread turn: no result can come back in between
        links.source.sink.setVideoFrame(_frame(0xFF000000 + number * 0x000500, number * 33_000))
    assert live.shown == 40 and live.sent_numbers == [0]
    qtbot.waitUntil(lambda: live.analysed == 2 and not live._in_flight(), timeout=JOB_TIMEOUT_MS)
    assert live.sent_numbers == [0, 39]  # the newest frame, then nothing: 38 frames dropped, none queued
    assert live.result is not None and live.result.number == 39 == live.newest
    assert live.result.time_s == pytest.approx(39 * 0.033)
    for number in range(40, 45):  # a second burst
        links.source.sink.setVideoFrame(_frame(0xFF202020, number * 33_000))
    qtbot.waitUntil(lambda: live.analysed == 4 and not live._in_flight(), timeout=JOB_TIMEOUT_MS)
    assert live.sent_numbers == [0, 39, 40, 44] and live.analysed <= live.shown == 45
    window.state.predictions.set_options(topk=2)  # the tab's k applies to the next frame sent
    links.source.sink.setVideoFrame(_frame(0xFF202020, 45 * 33_000))
    qtbot.waitUntil(lambda: live.analysed == 5, timeout=JOB_TIMEOUT_MS)
    assert len(live.result.topk) == 2


def test_freeze_puts_the_frame_in_the_image_list_and_unfreeze_resumes(qtbot, window, tmp_path: Path) -> None:
    live, links = window.state.live, window.live_links
    links.source._make_sink()
    links.start("camera stand-in")
    links.start_recording(tmp_path / "recorded")
    links.source.sink.setVideoFrame(_frame(0xFF3366CC, 0))
    qtbot.waitUntil(lambda: live.analysed == 1, timeout=JOB_TIMEOUT_MS)
    qtbot.waitUntil(lambda: all(future.done() for future in links.recorded), timeout=JOB_TIMEOUT_MS)
    assert [p.name for p in (tmp_path / "recorded").iterdir()] == ["frame-000000.png"]
    saved = QtGui.QImage(str(tmp_path / "recorded" / "frame-000000.png"))
    assert saved.size() == links.canvas.frame.size()  # the annotated frame at its own size
    assert links.freeze_action.isEnabled()
    links.freeze_action.trigger()  # Space
    assert links.frozen and links.panel.freeze_button.text() == "Unfreeze"
    qtbot.waitUntil(lambda: len(window.state.images) == 1, timeout=JOB_TIMEOUT_MS)
    entry = window.state.images.shown
    assert entry is not None and entry.size == (320, 240) and entry.name.startswith("camera_stand-in")
    assert window.image_stack.currentWidget() is window.image_panel
    notice = window.state.notices.notice  # the live panel's Unfreeze is out of sight: the notice offers it
    assert notice is not None and "frozen" in notice.text and [label for label, _ in notice.actions] == ["Unfreeze"]
    qtbot.waitUntil(lambda: window.state.predictions.prediction is not None, timeout=JOB_TIMEOUT_MS)
    links.source.sink.setVideoFrame(_frame(0xFF000000, 33_000))  # frozen: not shown, not analysed
    assert live.shown == 1
    links.freeze_action.trigger()
    assert not links.frozen and window.image_stack.currentWidget() is links.panel
    assert window.state.notices.notice is None or "frozen" not in window.state.notices.notice.text
    links.source.sink.setVideoFrame(_frame(0xFF000000, 66_000))
    assert live.shown == 2
    links.stop()
    assert not live.active and window.image_stack.currentWidget() is window.image_panel


def test_record_draws_each_result_on_its_own_frame_and_freeze_names_the_frame_shown(
    qtbot, window, tmp_path: Path
) -> None:
    live, links = window.state.live, window.live_links
    links.source._make_sink()
    links.start("camera stand-in")
    links.start_recording(tmp_path / "recorded")
    blue, red = 0xFF3366CC, 0xFFCC2222
    links.source.sink.setVideoFrame(_frame(blue, 0))  # sent at once
    links.source.sink.setVideoFrame(_frame(red, 2_000_000))  # shown before the blue frame's result comes back
    qtbot.waitUntil(lambda: live.analysed >= 1, timeout=JOB_TIMEOUT_MS)
    qtbot.waitUntil(lambda: bool(links.recorded) and all(f.done() for f in links.recorded), timeout=JOB_TIMEOUT_MS)
    saved = QtGui.QImage(str(tmp_path / "recorded" / "frame-000000.png"))
    corner = saved.pixelColor(saved.width() - 2, saved.height() - 2)  # clear of the overlay's boxes
    assert corner.rgb() == QtGui.QColor(blue).rgb()  # the frame the result is of, not the red one shown
    assert links.canvas.frame_time_s == pytest.approx(2.0)
    qtbot.waitUntil(lambda: live.analysed == 2 and not live._in_flight(), timeout=JOB_TIMEOUT_MS)
    links.freeze_action.trigger()
    qtbot.waitUntil(lambda: len(window.state.images) == 1, timeout=JOB_TIMEOUT_MS)
    assert window.state.images.shown.name.endswith("-2.00s.png")  # the frame shown when frozen
    links.stop()
    assert links.record_folder is None


def test_the_heatmap_is_drawn_over_the_frame(qtbot, window) -> None:
    live, links = window.state.live, window.live_links
    links.source._make_sink()
    links.start("heatmap")
    links.panel.heatmap_button.click()
    assert live.heatmap and live.heatmap_class is None  # no class asked for in the Heatmap tab: each top-1
    links.source.sink.setVideoFrame(_frame(0xFF3366CC, 0))
    qtbot.waitUntil(lambda: live.analysed == 1, timeout=JOB_TIMEOUT_MS)
    result = live.result
    assert result is not None and result.heatmap is not None and result.heatmap_class == result.top1.name
    assert links.canvas.heatmap is not None and links.canvas.heatmap.size().width() == result.heatmap.shape[1]
    links.canvas.repaint()  # drawn without error, over the frame


def test_the_activations_layer_is_drawn_over_the_frame(qtbot, window) -> None:
    live, links, state = window.state.live, window.live_links, window.state
    links.source._make_sink()
    links.start("layer")
    qtbot.waitUntil(lambda: state.model.summary is not None, timeout=JOB_TIMEOUT_MS)
    state.activations.set_layers(["features.5"])  # what picking it in the Activations tab's tree does
    links.panel.layer_button.click()
    assert live.show_layer and live.layer() == "features.5"
    links.source.sink.setVideoFrame(_frame(0xFF3366CC, 0))
    qtbot.waitUntil(lambda: live.analysed == 1, timeout=JOB_TIMEOUT_MS)
    result = live.result
    assert result is not None and result.layer == "features.5" and result.layer_grid is not None
    assert links.canvas.grid is not None and links.canvas.grid.width() == result.layer_grid.shape[1]
    links.canvas.repaint()  # drawn without error, in the top-right corner
    links.panel.layer_button.click()
    links.source.sink.setVideoFrame(_frame(0xFF3366CC, 40_000))
    qtbot.waitUntil(lambda: live.analysed == 2, timeout=JOB_TIMEOUT_MS)
    assert live.result.layer_grid is None and links.canvas.grid is None


def test_no_camera_is_one_notice(window, monkeypatch: pytest.MonkeyPatch) -> None:
    import viewer.gui.window.live_links as live_links

    monkeypatch.setattr(live_links, "cameras", lambda: [])
    window.live_links.camera_action.trigger()
    notice = window.state.notices.notice
    assert notice is not None and notice.text.startswith("No camera found")
    assert not window.state.live.active


def test_a_video_that_is_not_one_is_one_notice(qtbot, window, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 100)
    window.open_paths([str(broken)])
    notices = window.state.notices
    qtbot.waitUntil(lambda: notices.notice is not None and notices.notice.kind == "live-source", timeout=JOB_TIMEOUT_MS)
    assert notices.notice.text.startswith("broken.mp4: ") and notices.notice.level == "warning"
    assert not window.state.live.active and window.image_stack.currentWidget() is window.welcome
