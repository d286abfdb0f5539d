"""The trust policy for custom model files (viewer.core.trust), kept in the GUI's real settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer.core.trust import FileReview, ModelFileTrust, file_sha256
from viewer.gui.runtime.settings import Settings


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.py"
    path.write_text("def build():\n    return None\n")
    return path


def test_a_new_file_is_asked_about_with_its_path_and_hash(source: Path) -> None:
    review = ModelFileTrust(Settings()).review(str(source))
    assert review.sha256 == file_sha256(source) and len(review.sha256) == 64
    assert review.question is not None
    assert "tiny.py is Python code" in review.question
    assert str(source.resolve()) in review.question and review.sha256[:16] in review.question


def test_an_allowed_file_is_not_asked_about_until_it_changes(source: Path) -> None:
    trust = ModelFileTrust(Settings())
    trust.allow(trust.review(str(source)))
    again = ModelFileTrust(Settings()).review(str(source))  # remembered in the settings, not in the object
    assert again == FileReview(str(source), file_sha256(source), None)
    source.write_text(source.read_text() + "# edited\n")
    assert ModelFileTrust(Settings()).review(str(source)).question is not None


def test_trusted_digest_of_a_restored_choice(source: Path) -> None:
    trust = ModelFileTrust(Settings())
    model_file = f"{source.resolve()}:build"
    assert trust.trusted_digest(model_file) is None  # never allowed
    trust.allow(trust.review(str(source)))
    assert trust.trusted_digest(model_file) == file_sha256(source)
    source.write_text("import os\n")
    assert trust.trusted_digest(model_file) is None  # edited since
    source.unlink()
    assert trust.trusted_digest(model_file) is None  # gone


def test_an_unreadable_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        ModelFileTrust(Settings()).review(str(tmp_path / "missing.py"))
