"""core.resources.bundled_path finds the bundled files of a checkout or a wheel."""

from __future__ import annotations

import json

from viewer.core.resources import bundled_path


def test_bundled_files_exist() -> None:
    assert bundled_path("lenet5_mnist.pt").is_file()
    record = json.loads(bundled_path("lenet5_mnist.json").read_text())
    assert 0.9 < record["held_out_accuracy"] <= 1.0


def test_a_missing_file_gives_a_path_that_does_not_exist() -> None:
    path = bundled_path("no_such_file.bin")
    assert path.name == "no_such_file.bin" and not path.exists()
