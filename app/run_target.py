"""Where runs go: the toolbar's "Run on" choice, and a server's answers in the window.

:class:`RunTargets` puts a "Run on: This computer / <server>…" combo before the Run
button, fills it from the window's :class:`~app.servers.ServerStore` (refreshed when
servers are added or removed) and gives the :class:`~app.run_controller.RunController`
a :class:`~app.remote_runner.RemoteRunner` for the chosen server. It also shows what
the server answered to a remote run:

- 401: "API key rejected by <server>", with a button opening the Servers dialog;
- 402: :class:`~app.credits_dialog.InsufficientCreditsDialog` (opened, not exec'd);
- 429: "Rate limited by <server>: waiting N s" until the run starts;
- 422: the server's violations on the canvas and in the Problems panel;
- unreachable: "<server> is unreachable — runs on this computer still work"
  (the choice stays, so the next Run tries the server again).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel

from app.credits_dialog import InsufficientCreditsDialog
from app.remote_record import artifacts_in
from app.remote_runner import RemoteHandle, RemoteRunner, remote_cache_dir
from app.runners import LocalRunner
from app.servers import LINK_KEY, ServerLink, ServerProfile, normalise_url, server_link
from engine.client import (
    AuthenticationFailed,
    ClientError,
    ClientRetry,
    InsufficientCredits,
    InvalidRequest,
    RateLimited,
    ServerUnreachable,
)
from engine.paths import default_data_dir
from engine.validation import Violation

if TYPE_CHECKING:
    from app.run_controller import RunController
    from app.window import MainWindow

#: The combo's label for the bundled engine.
THIS_COMPUTER = "This computer"
_MANAGE = "\x00manage"  # item data of "Manage servers…"


class RunTargets(QObject):
    """The "Run on" combo and the window's reactions to remote runs.

    ``retry`` is the client retry policy of the runners it builds (a seam: tests
    shorten the waits). ``credits_dialog`` is the last 402 dialog shown.
    """

    def __init__(self, window: MainWindow, runs: RunController) -> None:
        super().__init__(runs)
        self._window = window
        self._runs = runs
        self.retry = ClientRetry()
        self.profile: ServerProfile | None = None  # the server chosen, None: this computer
        self._extra: ServerProfile | None = None  # a server given on the command line only
        self._wait_text = ""
        self.credits_dialog: InsufficientCreditsDialog | None = None
        self.servers_action = QAction("Servers…", self)
        self.servers_action.setObjectName("action_notice_servers")
        self.servers_action.triggered.connect(lambda _checked=False: window.show_servers_dialog())

        bar = window.commands.toolbar
        before = runs.run_action
        self.label = QLabel(" Run on: ", bar)
        self.combo = QComboBox(bar)
        self.combo.setObjectName("runTarget")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setToolTip("Where Run runs the workflow: on this computer or on a server")
        bar.insertWidget(before, self.label)
        bar.insertWidget(before, self.combo)
        self.combo.activated.connect(self._on_activated)
        window.servers.changed.connect(self.refresh)
        runs.started.connect(self._on_started)
        self.refresh()

    # -- public API ---------------------------------------------------------------

    def choose(self, url: str | None, *, quiet: bool = False) -> bool:
        """Run on the server at ``url`` from now on (``None``: on this computer).

        ``False`` when there is no key for that server: the choice does not change
        and (unless ``quiet``) the Servers dialog opens to add one.
        """
        if url is None:
            self.profile = None
            self._runs.set_runner(None)
            self._select(None)
            return True
        url = normalise_url(url)
        profile = self._window.servers.profile(url)
        if profile is None and self._extra is not None and self._extra.url == url:
            profile = self._extra
        key = self._window.servers.api_key(url)
        if profile is None or not key:
            if quiet:
                return self.choose(None)
            name = profile.name if profile else url
            self._window.show_notice(
                "warning", f"There is no API key for {name}: add the server with its key."
            )
            self._window.show_servers_dialog()
            self._select(self.profile.url if self.profile else None)
            return False
        self.profile = profile
        self._runs.set_runner(self._remote(profile, key))
        self._select(url)
        return True

    def use_server(self, url: str) -> bool:
        """Run on ``url`` even when it is not among the servers added (``--server URL``).

        The key comes from ``PATCHBAY_API_KEY`` or the keyring (see
        :meth:`~app.servers.ServerStore.api_key`).
        """
        try:
            url = normalise_url(url)
        except ValueError as exc:
            self._window.show_notice("error", str(exc))
            return False
        if self._window.servers.profile(url) is None:
            self._extra = ServerProfile(urlsplit(url).netloc or url, url)
            self.refresh()
        return self.choose(url)

    def refresh(self) -> None:
        """Refill the combo from the servers added (keeps the choice while it exists)."""
        profiles = self._profiles()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(THIS_COMPUTER, "")
        for profile in profiles:
            self.combo.addItem(profile.name, profile.url)
            self.combo.setItemData(self.combo.count() - 1, profile.url, Qt.ItemDataRole.ToolTipRole)
        self.combo.insertSeparator(self.combo.count())
        self.combo.addItem("Manage servers…", _MANAGE)
        self.combo.blockSignals(False)
        current = self.profile.url if self.profile is not None else None
        if current is not None and all(p.url != current for p in profiles):
            self.choose(None)  # the server was removed
        elif current is not None and not self._runs.running:
            self.choose(current, quiet=True)  # its key may have changed
        else:
            self._select(current)

    # -- reactions ----------------------------------------------------------------

    def _on_activated(self, index: int) -> None:
        data = self.combo.itemData(index)
        if data == _MANAGE:
            self._select(self.profile.url if self.profile else None)
            self._window.show_servers_dialog()
            return
        self.choose(data or None)

    def _on_started(self, handle: object) -> None:
        if not isinstance(handle, RemoteHandle):
            return
        name = handle.profile.name
        self._window.statusBar().showMessage(f"Running on {name}…")
        handle.waiting.connect(self._on_waiting)
        handle.accepted.connect(lambda _id: self._on_accepted(name))
        handle.linked.connect(lambda workflow_id: self._on_linked(handle, workflow_id))
        handle.downloaded.connect(self._on_downloaded)
        handle.finished.connect(lambda _record: self._end_wait())  # e.g. cancelled while waiting
        handle.failed.connect(lambda error: self._on_failed(handle, error))

    def _on_waiting(self, text: str) -> None:
        bar = self._window.notice_bar
        if self._wait_text:
            bar.withdraw(self._wait_text)
        self._wait_text = text
        bar.show_notice("info", text)
        self._window.statusBar().showMessage(text)

    def _on_accepted(self, name: str) -> None:
        self._end_wait()
        self._window.statusBar().showMessage(f"Running on {name}…")

    def _end_wait(self) -> None:
        if self._wait_text:
            self._window.notice_bar.withdraw(self._wait_text)
            self._wait_text = ""

    def _on_downloaded(self, artifact_id: str) -> None:
        """Redraw the nodes showing this output: its frame or waveform can be made now."""
        results = self._runs.results
        shown = [
            node_id
            for node_id, live in results.nodes.items()
            if any(a.id == artifact_id for a in artifacts_in(live.outputs or {}))
        ]
        if shown:
            self._window.canvas.set_node_states(results.views(shown))

    def _on_linked(self, handle: RemoteHandle, workflow_id: str) -> None:
        document = self._window.document
        current = server_link(document.workflow())
        if current is not None and current.url != handle.profile.url and current.published:
            return  # keep the link to the server it is published on
        document.set_metadata(LINK_KEY, ServerLink(handle.profile.url, workflow_id).to_json())

    def _on_failed(self, handle: RemoteHandle, error: object) -> None:
        self._end_wait()
        window, name = self._window, handle.profile.name
        started = bool(handle.execution_id)
        status = f"Lost contact with {name}" if started else f"Run not started on {name}"
        if isinstance(error, AuthenticationFailed):
            text = f"API key rejected by {name}: check the key in Servers…"
            window.notice_bar.show_notice("error", text, self.servers_action)
        elif isinstance(error, InsufficientCredits):
            dialog = InsufficientCreditsDialog(error, name, window)
            dialog.open()
            self.credits_dialog = dialog
            window.statusBar().showMessage(f"Not enough credits on {name}", 15000)
            return
        elif isinstance(error, InvalidRequest) and error.violations:
            show_server_violations(window, name, error.violations)
        elif isinstance(error, RateLimited):
            window.show_notice(
                "warning",
                f"Rate limited by {name}: try again in {max(1, round(error.retry_after))} s",
            )
        elif isinstance(error, ServerUnreachable):
            window.show_notice(
                "warning", f"{name} is unreachable — runs on this computer still work"
            )
            status = f"{name} is unreachable"
        elif isinstance(error, ClientError):
            window.show_notice("error", f"{name}: {error}")
        window.statusBar().showMessage(status, 15000)

    # -- helpers ------------------------------------------------------------------

    def _profiles(self) -> list[ServerProfile]:
        profiles = self._window.servers.profiles()
        if self._extra is not None and all(p.url != self._extra.url for p in profiles):
            profiles.append(self._extra)
        return profiles

    def _select(self, url: str | None) -> None:
        index = self.combo.findData(url or "")
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(max(0, index))
        self.combo.blockSignals(False)

    def runner_for(self, profile: ServerProfile) -> RemoteRunner | None:
        """The window's runner when it runs on this server, else a new one for it
        (``None``: no key for it)."""
        current = self._runs.runner
        if isinstance(current, RemoteRunner) and current.profile.url == profile.url:
            return current
        key = self._window.servers.api_key(profile.url)
        return self._remote(profile, key) if key else None

    def _remote(self, profile: ServerProfile, key: str) -> RemoteRunner:
        cache = self._cache_dir(profile.url)
        return RemoteRunner(profile, key, self._window.catalog, cache, retry=self.retry)

    def _cache_dir(self, url: str) -> Path:
        local = self._runs.local_runner
        data_dir = local.data_dir if isinstance(local, LocalRunner) else default_data_dir()
        return remote_cache_dir(data_dir, url)


def show_server_violations(window: MainWindow, server: str, violations: list[Violation]) -> None:
    """A server's 422: its violations on the canvas and in Problems, like local ones."""
    window.canvas.set_violations(violations)
    window.problems.set_violations(violations)
    window.status.show_violations(violations)
    window.show_problems()
    count = len(violations)
    window.show_notice(
        "error",
        f"{server} refused the workflow: {count} problem{'s' if count != 1 else ''} (see Problems)",
    )
