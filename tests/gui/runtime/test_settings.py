"""Settings: one module of keys, isolated per test, values that survive a new Settings object."""

from __future__ import annotations

from viewer.gui.runtime.settings import MAX_RECENT, Settings


def test_settings_live_in_the_test_folder(isolated_settings):
    settings = Settings()
    settings.save_choice(
        model="resnet18", weights="none", model_file=None, device="cpu", preset="full", tta=True, topk=7
    )
    settings.sync()
    assert str(isolated_settings) in settings.qsettings.fileName()
    again = Settings()
    assert (again.model(), again.weights(), again.model_file(), again.device()) == ("resnet18", "none", None, "cpu")
    assert (again.preset(), again.tta(), again.topk()) == ("full", True, 7)


def test_recent_files_newest_first_without_duplicates(tmp_path):
    settings = Settings()
    paths = [tmp_path / f"{i}.png" for i in range(MAX_RECENT + 2)]
    for path in paths:
        settings.add_recent_file(str(path))
    settings.add_recent_file(str(paths[3]))
    recent = Settings().recent_files()
    assert recent[0] == str(paths[3].resolve())
    assert len(recent) == MAX_RECENT and len(set(recent)) == MAX_RECENT
    settings.clear_recent_files()
    assert Settings().recent_files() == []


def test_a_model_file_is_trusted_only_with_the_same_content(tmp_path):
    settings = Settings()
    path = str(tmp_path / "net.py")
    assert not settings.is_trusted_model_file(path, "aa")
    settings.trust_model_file(path, "aa")
    assert Settings().is_trusted_model_file(path, "aa")
    assert not Settings().is_trusted_model_file(path, "bb")  # edited since: ask again


def test_a_weights_files_recipe_is_kept_with_its_content(tmp_path):
    settings = Settings()
    path = str(tmp_path / "net.pth")
    assert settings.recipe_of_file(path) is None and settings.recipe_of_content("aa") is None
    settings.remember_recipe(path, "aa", "IMAGENET1K_V1")
    settings.remember_recipe(str(tmp_path / "other.pth"), "bb", "")  # the network's default, chosen
    again = Settings()
    assert again.recipe_of_file(str(tmp_path / "." / "net.pth")) == ("aa", "IMAGENET1K_V1")  # by resolved path
    assert again.recipe_of_content("aa") == "IMAGENET1K_V1" and again.recipe_of_content("bb") == ""
    explicit = "resize=256,crop=224,interpolation=bilinear,mean=0.485:0.456:0.406,std=0.229:0.224:0.225"
    again.remember_recipe(path, "cc", explicit)
    again.sync()
    assert Settings().recipe_of_file(path) == ("cc", explicit)
    Settings().forget_recipe(path)
    assert Settings().recipe_of_file(path) is None and Settings().recipe_of_content("bb") == ""
