"""The Linux desktop integration files in packaging/ name things that exist and agree.

Checked with the standard library only; ``desktop-file-validate`` and
``appstreamcli validate`` are optional extra checks by hand (packaging/README.md).
"""

from __future__ import annotations

import configparser
import tomllib
import xml.etree.ElementTree as ET

import engine
from engine.workflow import FILE_SUFFIX
from tests.conftest import REPO_ROOT

PACKAGING = REPO_ROOT / "packaging"
ICONS = REPO_ROOT / "resources" / "icons"
MIME_NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(PACKAGING / "patchbay-studio.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def _pyproject() -> dict[str, object]:
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]  # type: ignore[no-any-return]


def _metainfo() -> ET.Element:
    return ET.parse(PACKAGING / "io.patchbay.Studio.metainfo.xml").getroot()


def test_desktop_entry_launches_the_studio_with_files_and_its_icon() -> None:
    entry = _desktop_entry()
    for key in ("Name", "GenericName", "Comment"):
        assert entry[key].strip(), key
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "patchbay-studio %F"
    assert "patchbay-studio" in _pyproject()["gui-scripts"]  # type: ignore[operator]
    assert entry["Terminal"] == "false"
    assert {"Graphics", "Development"} <= set(filter(None, entry["Categories"].split(";")))
    # The icon name is what the README installs from resources/icons.
    assert entry["Icon"] == "patchbay-studio"
    assert (ICONS / "patchbay.svg").is_file()
    assert (ICONS / "patchbay-256.png").is_file()


def test_desktop_entry_opens_the_mime_type_of_workflow_files() -> None:
    mime = ET.parse(PACKAGING / "patchbay-studio-mime.xml").getroot()
    declared = mime.find("m:mime-type", MIME_NS)
    assert declared is not None
    globs = [g.get("pattern") for g in declared.findall("m:glob", MIME_NS)]
    assert globs == [f"*{FILE_SUFFIX}"]
    assert declared.get("type") in _desktop_entry()["MimeType"].split(";")


def test_metainfo_describes_the_app_and_names_files_that_exist() -> None:
    root = _metainfo()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == "io.patchbay.Studio"
    for tag in ("name", "summary"):
        assert (root.findtext(tag) or "").strip(), tag
    assert root.find("description/p") is not None
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == _pyproject()["license"]
    assert root.find("content_rating") is not None
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert (PACKAGING / (launchable.text or "")).is_file()
    assert root.findtext("icon") == _desktop_entry()["Icon"]
    images = [image.text or "" for image in root.iterfind("screenshots/screenshot/image")]
    assert images == ["docs/images/run.png", "docs/images/editor.png"]
    assert all((REPO_ROOT / image).is_file() for image in images)


def test_metainfo_lists_the_current_version_and_both_commands() -> None:
    root = _metainfo()
    release = root.find("releases/release")
    assert release is not None and release.get("version") == engine.__version__
    binaries = {b.text for b in root.iterfind("provides/binary")}
    project = _pyproject()
    assert binaries == {*project["scripts"], *project["gui-scripts"]}  # type: ignore[misc]
