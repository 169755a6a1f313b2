"""The inspector shows the seeds a node ran with and asks for "Use this seed"."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from tests.widgets.run_samples import sample_record
from widgets.run.inspector import NodeInspector
from widgets.run.seeds import RunSeed


def _inspector(qtbot: QtBot) -> NodeInspector:
    inspector = NodeInspector()
    qtbot.addWidget(inspector)
    inspector.show()
    return inspector


def test_a_seed_that_differs_from_the_document_can_be_used(qtbot: QtBot) -> None:
    inspector = _inspector(qtbot)
    inspector.set_node(sample_record().node("shot"), seeds=[RunSeed("seed", 1_234_567, 7)])
    rows = inspector.seeds()
    assert rows.isVisible()
    value = rows.findChild(QLabel, "seedValue_seed")
    assert value is not None and value.text() == "1234567"
    button = rows.button("seed")
    assert button is not None and button.isEnabled() and button.text() == "Use this seed"
    assert "now 7" in button.toolTip()
    with qtbot.waitSignal(inspector.seed_requested) as blocker:
        button.click()
    assert blocker.args == ["shot", "seed", 1_234_567]


def test_the_seed_in_use_is_not_offered_and_no_seeds_hide_the_row(qtbot: QtBot) -> None:
    inspector = _inspector(qtbot)
    shot = sample_record().node("shot")
    inspector.set_node(shot, seeds=[RunSeed("seed", 7, 7), RunSeed("noise_seed", 3, None)])
    in_use = inspector.seeds().button("seed")
    assert in_use is not None and not in_use.isEnabled() and in_use.text() == "In use"
    other = inspector.seeds().button("noise_seed")
    assert other is not None and other.isEnabled()
    inspector.set_node(shot)
    assert not inspector.seeds().isVisible() and inspector.seeds().button("seed") is None
    inspector.set_node(None, seeds=[RunSeed("seed", 7)])  # nothing selected: no seeds
    assert inspector.seeds().seeds() == ()
