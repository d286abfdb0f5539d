"""Which preprocessing a weights file gets: asked once per file, remembered, shown, changeable.

``AppState.recipes``, a sub-state of :class:`viewer.gui.state.AppState`. A weights file is trained with one
evaluation recipe (resize, crop, interpolation, mean, std; ``viewer.core.network.recipe``) and gives its published
accuracy only with it, but a plain state_dict does not say which. The file is loaded first with what it says
(torchvision's published sha256, a saved ``recipe`` entry) or else the network's default; when nothing said it,
one notice asks, offering the architecture's torchvision weights (each with its resize and crop), keeping the
default, or other values (the window's recipe dialog). Asking never blocks the window, and the predictions of
the assumed recipe are there meanwhile.

The answer is remembered per file in a :class:`RecipeStore` (the window's settings): by resolved path with the
content's sha256, so that it is applied before the file is read (``with_remembered``, called by ``set_model``)
and is dropped when the file's content changed; the same content under another path gets it too, once loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from viewer.core.network.choice import ModelChoice
from viewer.core.network.recipe import Recipe, RecipeError, parse_recipe
from viewer.core.results.session import ModelInfo
from viewer.gui.state.notices import Notices
from viewer.gui.state.weights import is_weights_file

if TYPE_CHECKING:
    from viewer.gui.state.model import ModelState

__all__ = [
    "RECIPE_NOTICE",
    "RecipeHost",
    "RecipeOffer",
    "RecipeShown",
    "RecipeStore",
    "SessionRecipes",
    "WeightsRecipes",
]

RECIPE_NOTICE = "recipe"  # the notice's kind: it goes when the choice changes (state.notices.CHOICE_NOTICES)


class RecipeStore(Protocol):
    """Where the recipe chosen for each weights file is kept (``viewer.gui.runtime.settings.Settings``); text "" is the
    network's default (or what the file says), chosen."""

    def recipe_of_file(self, path: str) -> tuple[str, str] | None: ...  # (sha256, text)
    def recipe_of_content(self, sha256: str) -> str | None: ...
    def remember_recipe(self, path: str, sha256: str, text: str) -> None: ...
    def forget_recipe(self, path: str) -> None: ...


class SessionRecipes:
    """A :class:`RecipeStore` that lasts as long as the state (a state without a window: tests, benches)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, str]] = {}

    def recipe_of_file(self, path: str) -> tuple[str, str] | None:
        return self._entries.get(str(Path(path).resolve()))

    def recipe_of_content(self, sha256: str) -> str | None:
        return next((text for digest, text in self._entries.values() if digest == sha256), None)

    def remember_recipe(self, path: str, sha256: str, text: str) -> None:
        self._entries[str(Path(path).resolve())] = (sha256, text)

    def forget_recipe(self, path: str) -> None:
        self._entries.pop(str(Path(path).resolve()), None)


class RecipeHost(Protocol):
    """What :class:`WeightsRecipes` uses of the app: the registry, the loaded model, and choosing again."""

    model: ModelState

    def set_model(self, choice: ModelChoice) -> None: ...


@dataclass(frozen=True)
class RecipeShown:
    """How the views say the recipe of the loaded weights file."""

    text: str  # the status bar's: "recipe IMAGENET1K_V1: resize 256, crop 224, bilinear (chosen for this file)"
    button: str  # the model toolbar's button: "Recipe: IMAGENET1K_V1"
    details: str  # every value, and what said it (a tooltip)
    assumed: bool  # nothing said it: the network's default is assumed


@dataclass(frozen=True)
class RecipeOffer:
    """What the recipe dialog offers for the weights file in use."""

    file_name: str
    choices: tuple[Recipe, ...]  # the architecture's torchvision weights' recipes
    own: Recipe  # what the file says, or the network's default (``own.assumed``)
    in_use: Recipe
    current: str | None  # the choice's recipe text (None: ``own``)


class WeightsRecipes(QObject):
    """The recipe of the weights file in use (``AppState.recipes``; see the module docstring).

    Signals:
        changed(): what ``shown()`` says changed without a new model (a default chosen and remembered).
        dialog_requested(): the notice's "Other values…" was clicked: the window opens the recipe dialog.
    """

    changed = Signal()
    dialog_requested = Signal()

    def __init__(self, app: RecipeHost, notices: Notices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._notices = notices
        self.store: RecipeStore = SessionRecipes()  # the window gives its settings (``use_store``)
        self._remembered: ModelChoice | None = None  # the last choice given a remembered recipe (``with_remembered``)

    def use_store(self, store: RecipeStore) -> None:
        self.store = store

    def _specs(self) -> dict[str, Any]:
        registry = self._app.model.registry
        return {} if registry is None else {spec.name: spec for spec in registry.specs}

    def _is_file(self, choice: ModelChoice | None) -> bool:
        return choice is not None and is_weights_file(choice, self._specs())

    def _fits(self, text: str, choice: ModelChoice) -> bool:
        """Whether ``text``, an answer kept for ``choice``'s file, can be its network's recipe (as far as the
        registry tells before loading): answers are kept per file, and the same file chosen for another network
        must not fail to load for a recipe given for the first."""
        spec = None if choice.model_file else self._specs().get(choice.model or "")
        if spec is None:
            return True
        try:
            parsed = parse_recipe(text, channels=spec.input.channels)
        except RecipeError:
            return False
        return isinstance(parsed, dict) or (spec.source == "torchvision" and parsed in spec.weights)

    # --- called by AppState --------------------------------------------------------------------------
    def remembered_for(self, choice: ModelChoice) -> ModelChoice:
        """``choice`` with the recipe chosen before for its weights file, when it names none itself (what a
        Compare column of that file is built with)."""
        if choice.recipe is not None or not self._is_file(choice):
            return choice
        entry = self.store.recipe_of_file(choice.weights)
        if entry is None or not entry[1] or not self._fits(entry[1], choice):
            return choice
        return replace(choice, recipe=entry[1])

    def with_remembered(self, choice: ModelChoice) -> ModelChoice:
        """:meth:`remembered_for` of the model choice, kept to tell the file's answer from the user's own."""
        remembered = self.remembered_for(choice)
        if remembered is not choice:
            self._remembered = remembered
        return remembered

    def model_loaded(self, choice: ModelChoice, info: ModelInfo) -> ModelChoice | None:
        """A model is loaded under ``choice``: remember a recipe given for its file, ask for one that nothing said,
        or return the choice to load instead (a recipe remembered for this content under another path, or none
        where the one remembered was for the file's former content)."""
        if not self._is_file(choice) or info.weights_sha256 is None or info.recipe is None:
            return None
        path, sha256 = info.weights, info.weights_sha256
        entry = self.store.recipe_of_file(path)
        if entry is not None and entry[0] != sha256:  # the file changed since its recipe was chosen
            self.store.forget_recipe(path)
            if choice == self._remembered:  # that recipe was for the former content
                return replace(choice, recipe=None)
            entry = None
        if entry is not None and entry[1] and not self._fits(entry[1], choice):
            entry = None  # given for this file under another network: for this one, it is asked about
        if choice.recipe is not None:  # the user's answer, or --recipe: kept for this content
            self.store.remember_recipe(path, sha256, choice.recipe)
        elif entry is None:
            known = self.store.recipe_of_content(sha256)
            if known is not None and self._fits(known, choice):
                self.store.remember_recipe(path, sha256, known)
                if known:
                    return replace(choice, recipe=known)
            elif info.recipe.assumed:
                self._ask(info)
        return None

    # --- the user's answer ---------------------------------------------------------------------------
    def choose(self, text: str | None) -> None:
        """Use and remember ``text`` (an enum name or key=value text; None or "": what the file says, else the
        network's default) for the weights file loaded now."""
        info = self._app.model.info
        choice = info.key if info is not None else None
        if info is None or choice is None or info.weights_sha256 is None or not self._is_file(choice):
            return
        self.store.remember_recipe(info.weights, info.weights_sha256, text or "")
        self._notices.clear(RECIPE_NOTICE)
        if (text or None) != choice.recipe:
            self._app.set_model(replace(choice, recipe=text or None))
        else:
            self.changed.emit()

    def _ask(self, info: ModelInfo) -> None:
        assumed = info.recipe
        assert assumed is not None  # model_loaded's caller checked
        name = Path(info.weights).name
        actions: list[tuple[str, Callable[[], None]]] = []
        for offered in info.recipe_choices:
            values = f"resize {offered.resize}, crop {offered.crop}"
            if offered.name == assumed.name:  # the network's default, in use: keeping it asks for no new model
                actions.append((f"Keep {offered.name} ({values})", partial(self.choose, None)))
            else:
                actions.append((f"{offered.name} ({values})", partial(self.choose, offered.name)))
        if not any(offered.name == assumed.name for offered in info.recipe_choices):
            actions.append(("Keep the network's default", partial(self.choose, None)))
        actions.append(("Other values…", self.dialog_requested.emit))
        self._notices.notify(
            f"{name} does not say which preprocessing it was trained with: the network's default is assumed "
            f"({assumed.short_label}). Which recipe was it trained with? The answer is remembered for this file.",
            f"Assumed: {assumed.label}\n{assumed.said_by}",
            level="info",
            actions=tuple(actions),
            kind=RECIPE_NOTICE,
        )

    # --- what the views show -------------------------------------------------------------------------
    def shown(self) -> RecipeShown | None:
        """The recipe of the weights file loaded now, as the views say it; None when the weights are no file."""
        info = self._app.model.info
        choice = info.key if info is not None else None
        if info is None or info.recipe is None or not self._is_file(choice):
            return None
        assert choice is not None
        recipe = info.recipe
        remembered = self.store.recipe_of_file(info.weights) == (info.weights_sha256, "")  # the default, chosen
        if choice.recipe is not None:
            how = "chosen for this file"
        elif recipe.assumed:
            how = "the network's default, as chosen" if remembered else "assumed: the file does not say"
        else:
            how = "as the file says"
        short = recipe.name or f"resize {recipe.resize}, crop {recipe.crop}"
        assumed = recipe.assumed and not remembered and choice.recipe is None
        return RecipeShown(
            text=f"recipe {recipe.short_label} ({how})",
            button=f"Recipe: {short}" + (" (assumed)" if assumed else ""),
            details=f"{recipe.label}\n{how}" + ("" if choice.recipe is not None else f" ({recipe.said_by})"),
            assumed=assumed,
        )

    def offered(self) -> RecipeOffer | None:
        """What the recipe dialog offers for the weights file loaded now (None when the weights are no file)."""
        info = self._app.model.info
        choice = info.key if info is not None else None
        if info is None or info.recipe is None or info.own_recipe is None or not self._is_file(choice):
            return None
        assert choice is not None
        return RecipeOffer(Path(info.weights).name, info.recipe_choices, info.own_recipe, info.recipe, choice.recipe)
