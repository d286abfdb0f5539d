"""Hostile files dropped on the real window, and hostile weights files chosen in it.

Every case ends within a bound (a hang fails the test) with either a correct result on screen (top-k
shown) or one readable sentence in the banner naming the file; never a "Bug:" message; and the next good
image dropped still classifies. Weights that would run code when unpickled are refused without running it.
"""

from __future__ import annotations

import os

from hostile_corpus import Case, make_image_corpus, make_weights_corpus

from viewer.gui.state import ModelChoice

CASE_TIMEOUT_MS = 60_000  # catches hangs only; a case takes well under a second here
FIRST_TIMEOUT_MS = 180_000  # the first job of a process imports torch on a shared CPU


def _interleaved(cases: list[Case]) -> list[Case]:
    """Bad, good, bad, good, ...: every refused file is followed by a good one that must still classify."""
    bad = [case for case in cases if not case.ok]
    good = [case for case in cases if case.ok]
    order: list[Case] = []
    while bad or good:
        if bad:
            order.append(bad.pop(0))
        if good:
            order.append(good.pop(0))
    return order


def _no_bug_messages(window) -> None:
    bugs = [(level, text) for level, text, _details in window.notices.history if "Bug" in text or "Traceback" in text]
    assert bugs == []


def test_hostile_drops_give_a_result_or_a_sentence(qtbot, make_window, drop_files, shared_data, tmp_path):
    cases = _interleaved(make_image_corpus(tmp_path / "corpus", shared_data))
    assert sum(not c.ok for c in cases) >= 7 and sum(c.ok for c in cases) >= 10
    window = make_window("squeezenet1_1", "none")
    assert window.state.model.info is not None
    state = window.state
    target = window.image_panel.graphics.viewport()
    for case in cases:
        notices_before = len(window.notices.history)
        images_before = [entry.path for entry in state.images]
        assert drop_files(target, [case.path]), case.name
        if case.ok:
            qtbot.waitUntil(
                lambda case=case: (
                    state.predictions.prediction is not None
                    and state.predictions.prediction.image == str(case.path)
                    and not state.jobs.pending("classify")
                ),
                timeout=CASE_TIMEOUT_MS,
            )
            shown = window.predictions.prediction()
            assert shown is state.predictions.prediction and shown.image == str(case.path), case.name
            assert len(window.predictions.rows()) == 5, case.name
            assert case.name in window.image_panel.title.text()
        elif case.stage == "classify":  # opens, then classification refuses it with its sentence
            qtbot.waitUntil(
                lambda case=case, before=notices_before: any(
                    case.name in text for _l, text, _d in window.notices.history[before:]
                ),
                timeout=CASE_TIMEOUT_MS,
            )
            level, text, _details = next(n for n in window.notices.history[notices_before:] if case.name in n[1])
            assert level == "error" and f"{case.name}: " in text and case.phrase in text, (case.name, text)
            assert state.image.path == str(case.path) and state.predictions.prediction is None
            assert window.predictions.prediction() is None  # no earlier image's result left on screen
        else:
            qtbot.waitUntil(lambda before=notices_before: len(window.notices.history) > before, timeout=CASE_TIMEOUT_MS)
            # The opening job has ended (nothing else is left to arrive for this drop).
            qtbot.waitUntil(
                lambda: not any(t.kind.startswith("open#") for t in state.jobs.pending()), timeout=CASE_TIMEOUT_MS
            )
            level, text, _details = window.notices.history[-1]
            assert level == "error" and text.startswith(f"{case.name}: "), (case.name, text)
            assert case.phrase in text, (case.name, text)
            assert len(text.splitlines()) == 1
            assert window.notices.isVisible() and window.notices.text_label.text() == text
            assert [entry.path for entry in state.images] == images_before  # nothing else changed
        _no_bug_messages(window)
    assert window.thumbnails.count() == sum(case.ok or case.stage == "classify" for case in cases)


def test_hostile_weights_files_are_refused_and_the_app_stays_usable(
    qtbot, make_window, drop_files, shared_data, tmp_path
):
    cases, sentinel = make_weights_corpus(tmp_path / "weights")
    window = make_window("lenet5", "none")
    state, bar = window.state, window.model_bar
    digit = shared_data / "mnist" / "mnist_7.png"
    for case in cases:
        bar.ask_open_file = lambda _title, _filters, path=case.path: str(path)  # the file dialog's answer
        index = bar.weights_picker.findText("From file…")
        bar.weights_picker.setCurrentIndex(index)
        bar.weights_picker.activated.emit(index)
        assert state.model.choice.weights == str(case.path)
        # Refused, and the previous working model (random init) is kept: loaded again, the pickers on it.
        qtbot.waitUntil(
            lambda case=case: case.name in window.notices.text_label.text() and state.model.info is not None,
            timeout=CASE_TIMEOUT_MS,
        )
        assert state.model.choice == ModelChoice("lenet5", "none", None, "cpu"), case.name
        assert bar.weights_picker.currentData() == "none"
        text = window.notices.text_label.text()
        assert window.notices.isVisible() and case.phrase in text and "Kept lenet5" in text, (case.name, text)
        assert "Bug" not in text and len(text.splitlines()) == 1
        assert not sentinel.exists(), f"{case.name}: code in the file ran"
    _no_bug_messages(window)
    # Still usable: a digit classifies with the model kept.
    drop_files(window, [digit])
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.predictions.prediction.image == str(digit),
        timeout=CASE_TIMEOUT_MS,
    )
    assert len(window.predictions.rows()) == 5
    assert not sentinel.exists()


def test_the_whole_corpus_in_one_drop(qtbot, make_window, drop_files, shared_data, tmp_path):
    cases = make_image_corpus(tmp_path / "corpus", shared_data)
    refused = [case for case in cases if not case.ok and case.stage == "open"]
    opened = [case for case in cases if case.ok or case.stage == "classify"]
    window = make_window("lenet5", "none")
    state = window.state
    assert drop_files(window, [case.path for case in cases])
    qtbot.waitUntil(lambda: len(state.images) == len(opened), timeout=CASE_TIMEOUT_MS)
    assert [entry.path for entry in state.images] == [str(case.path) for case in opened]
    # One banner for the drop: one refusal, the count of the others, every sentence in the details.
    drop_notices = [n for n in window.notices.history if "more: see details" in n[1]]
    assert len(drop_notices) == 1
    level, text, details = drop_notices[0]
    assert level == "error" and f"(and {len(refused) - 1} more: see details)" in text
    named = [line.split(": ", 1)[0] for line in details.splitlines()]
    assert sorted(named) == sorted(case.name for case in refused) and text.startswith(f"{named[0]}: ")
    first = opened[0]
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.predictions.prediction.image == str(first.path),
        timeout=CASE_TIMEOUT_MS,
    )
    _no_bug_messages(window)


def test_a_symlink_loop_dropped_with_a_photo_is_one_sentence_and_the_photo_opens(
    qtbot, make_window, drop_files, shared_data, tmp_path, capfd
):
    loop = tmp_path / "loop_a.png"
    os.symlink("loop_a.png", loop)  # a link to itself: resolving it raised RuntimeError and lost the drop
    photo = shared_data / "images" / "kitten.jpg"
    window = make_window("lenet5", "none")
    state = window.state
    before = len(window.notices.history)
    assert drop_files(window.image_panel.graphics.viewport(), [loop, photo])
    qtbot.waitUntil(lambda: state.image is not None, timeout=FIRST_TIMEOUT_MS)
    qtbot.waitUntil(lambda: len(window.notices.history) > before, timeout=CASE_TIMEOUT_MS)
    assert state.image.path == str(photo.absolute()) and [e.name for e in state.images] == ["kitten.jpg"]
    notices = window.notices.history[before:]
    assert len(notices) == 1
    level, text, _details = notices[0]
    assert level == "error" and text.startswith("loop_a.png: ") and len(text.splitlines()) == 1, text
    _no_bug_messages(window)
    assert "Traceback" not in capfd.readouterr().err
