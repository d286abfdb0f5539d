"""The engine dialog (File › Engine…): where the app's jobs run, on this computer or on a server.

"On this computer" is an engine process that the app starts; "On a server" is a ``viewer engine --listen
HOST:PORT`` reached with its token file (a GPU server, usually through an SSH tunnel, so the address is often
``127.0.0.1:PORT``). The dialog shows where the jobs run now, checks the address with the caller's ``validate``
and the token file's existence, and emits the choice; the caller stores it for the next start of the app.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6 import QtWidgets
from PySide6.QtCore import Signal

__all__ = ["EngineDialog"]

MIN_WIDTH = 620

SSH_HINT = (
    "On the server: <code>viewer engine --listen 127.0.0.1:7341 --token-file ~/.viewer-token</code><br>"
    "Here: <code>ssh -N -L 7341:127.0.0.1:7341 server</code>, copy the token file, then give "
    "<code>127.0.0.1:7341</code> and that file."
)


class EngineDialog(QtWidgets.QDialog):
    """Pick where jobs run; OK emits the choice and closes it.

    Signals:
        engineChosen(str, str): ``"local"`` or ``"HOST:PORT"``, and the token file ("" for ``local``).
    """

    engineChosen = Signal(str, str)

    def __init__(
        self,
        now: str,
        engine: str,
        token_file: str,
        validate: Callable[[str], str | None],
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        """``now``: where jobs run in this session, in words; ``engine``/``token_file``: the stored choice;
        ``validate(text)``: None for a usable ``HOST:PORT``, else the sentence that says what is wrong."""
        super().__init__(parent)
        self.setObjectName("engineDialog")
        self.setWindowTitle("Engine")
        self.setMinimumWidth(MIN_WIDTH)  # the fields' hints are whole sentences
        self._validate = validate
        self.now_label = QtWidgets.QLabel(f"Jobs run now: {now}")
        self.now_label.setObjectName("engineNow")
        self.now_label.setWordWrap(True)
        self.local_button = QtWidgets.QRadioButton("On this computer (an engine process started with the app)")
        self.local_button.setObjectName("engineLocal")
        self.server_button = QtWidgets.QRadioButton("On a server running `viewer engine --listen`:")
        self.server_button.setObjectName("engineServer")
        self.address_field = QtWidgets.QLineEdit()
        self.address_field.setObjectName("engineAddress")
        self.address_field.setPlaceholderText("HOST:PORT, e.g. 127.0.0.1:7341 (through an SSH tunnel)")
        self.token_field = QtWidgets.QLineEdit()
        self.token_field.setObjectName("engineTokenFile")
        self.token_field.setPlaceholderText("the token file the server was started with")
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        hint = QtWidgets.QLabel(SSH_HINT)
        hint.setWordWrap(True)
        self.problem = QtWidgets.QLabel()
        self.problem.setObjectName("engineProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020")
        note = QtWidgets.QLabel("The choice takes effect at the next start of the app.")

        server = QtWidgets.QFormLayout()
        server.addRow("Address:", self.address_field)
        token_row = QtWidgets.QHBoxLayout()
        token_row.addWidget(self.token_field, 1)
        token_row.addWidget(browse)
        server.addRow("Token file:", token_row)
        server.addRow(hint)
        self.server_box = QtWidgets.QWidget()
        self.server_box.setLayout(server)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        for widget in (self.now_label, self.local_button, self.server_button, self.server_box, self.problem, note):
            layout.addWidget(widget)
        layout.addWidget(buttons)

        remote = engine not in ("", "local", "thread")
        self.server_button.setChecked(remote)
        self.local_button.setChecked(not remote)
        self.address_field.setText(engine if remote else "")
        self.token_field.setText(token_file)
        self.server_button.toggled.connect(self.server_box.setEnabled)
        self.server_box.setEnabled(remote)

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "The engine's token file", self.token_field.text())
        if path:
            self.token_field.setText(path)

    def _accept(self) -> None:
        if self.local_button.isChecked():
            self.engineChosen.emit("local", "")
            self.accept()
            return
        address, token = self.address_field.text().strip(), self.token_field.text().strip()
        problem = self._validate(address)
        if problem is None and not token:
            problem = "Give the token file the server was started with."
        elif problem is None and not Path(token).expanduser().is_file():
            problem = f"{token}: no such file."
        if problem is not None:
            self.problem.setText(problem)
            return
        self.engineChosen.emit(address, str(Path(token).expanduser()))
        self.accept()
