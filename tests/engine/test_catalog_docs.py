"""docs/nodes.md is generated from the catalog and never drifts from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.catalog import default_catalog
from engine.catalog.docs import (
    CATEGORY_TITLES,
    DOCS_PATH,
    REGENERATE_COMMAND,
    catalog_markdown,
    main,
    param_help,
    port_help,
    pricing_summary,
    provider_summary,
)
from engine.catalog.spec import (
    Category,
    NodeSpec,
    ParamKind,
    ParamSpec,
    PortSpec,
    PortType,
    Pricing,
    PricingUnit,
)
from engine.cli import main as cli_main


@pytest.fixture(scope="module")
def page() -> str:
    return catalog_markdown(default_catalog())


def test_docs_nodes_md_is_the_generated_page(page: str) -> None:
    committed = DOCS_PATH.read_text(encoding="utf-8") if DOCS_PATH.is_file() else ""
    assert committed == page, (
        f"docs/nodes.md is stale (the catalog changed); regenerate it with "
        f"`{REGENERATE_COMMAND}` (or `patchbay catalog --markdown > docs/nodes.md`)"
    )


def test_one_section_per_category_in_catalog_order(page: str) -> None:
    counts = default_catalog().counts_by_category()
    sections = re.findall(r"^## (.+)$", page, flags=re.MULTILINE)
    assert sections == ["Contents", *(CATEGORY_TITLES[c] for c in counts)]
    for category, count in counts.items():
        assert re.search(
            rf"^\| \[{re.escape(CATEGORY_TITLES[category])}\]\(#[^)]+\) \| {count} \|",
            page,
            flags=re.MULTILINE,
        ), category


def test_every_node_has_a_heading_with_its_type_id_and_a_link_that_resolves(page: str) -> None:
    catalog = default_catalog()
    headings = re.findall(r"^### (.+)$", page, flags=re.MULTILINE)
    assert headings == [
        spec.display_name for category in Category for spec in catalog if spec.category == category
    ]
    for spec in catalog:
        assert f"`{spec.type}` · " in page
    anchors = set(re.findall(r"\]\(#([^)]+)\)", page))
    slugs = {
        re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", page, flags=re.MULTILINE)
    }
    assert anchors <= slugs


def test_a_hosted_node_shows_its_provider_key_ports_params_and_price(page: str) -> None:
    section = page.split("### FLUX.2 [pro]\n", 1)[1].split("\n### ", 1)[0]
    assert "runs on fal.ai, key `FAL_KEY`" in section
    assert "| `prompt` | text | required |" in section
    assert "| `image` | image | The generated image. |" in section
    assert "`landscape_4_3`" in section and "`square_hd`, `square`" in section
    assert "3 credits per image" in section
    assert "Preview mode runs it offline" in section


def test_table_cells_never_break_on_a_pipe_in_a_description(page: str) -> None:
    rows = [line for line in page.splitlines() if line.startswith("| ") and "(e.g. , or" in line]
    assert rows, "the Split Lines separator row mentions a pipe"
    for line in rows:
        assert "or \\|)" in line
        cells = re.split(r"(?<!\\)\|", line)
        assert len(cells) == 7  # five columns between the outer pipes


def test_cli_prints_the_same_page(capsys: pytest.CaptureFixture[str], page: str) -> None:
    assert cli_main(["catalog", "--markdown"]) == 0
    assert capsys.readouterr().out == page


def test_check_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str], page: str) -> None:
    target = tmp_path / "nodes.md"
    target.write_text("old\n", encoding="utf-8")
    assert main(["--check", str(target)]) == 1
    assert REGENERATE_COMMAND in capsys.readouterr().err
    assert main(["--write", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == page
    assert main(["--check", str(target)]) == 0


def test_help_falls_back_to_type_and_need_when_a_description_is_missing() -> None:
    port = PortSpec(name="ref", type=PortType.IMAGE, required=False)
    assert port_help(port) == "Optional: wire an image here."
    listed = PortSpec(name="clips", type=PortType.VIDEO, is_list=True)
    assert port_help(listed) == "Required: wire a list of video clip items here."
    assert port_help(listed, output=True) == "A list of video clip items this node produces."
    assert port_help(PortSpec(name="a", type=PortType.TEXT, description=" Said. ")) == "Said."
    param = ParamSpec(name="steps", kind=ParamKind.INTEGER, required=True)
    assert param_help(param) == "Required whole number setting."


def test_pricing_and_provider_in_words() -> None:
    spec = NodeSpec(
        type="x.tts",
        category=Category.AUDIO,
        display_name="TTS",
        params=(ParamSpec(name="text", kind=ParamKind.TEXT, label="Script"),),
        provider="elevenlabs",
        pricing=Pricing(
            unit=PricingUnit.PER_1K_CHARS, credits=2, quantity_param="text", minimum=0.5
        ),
    )
    assert pricing_summary(spec) == "2 credits per 1,000 characters of script, at least 0.5 credits"
    assert provider_summary(spec) == "runs on ElevenLabs, key `ELEVENLABS_API_KEY`"
    local = NodeSpec(type="x.y", category=Category.UTILITY, display_name="Y")
    assert pricing_summary(local) == "free"
    assert provider_summary(local) == "runs on this computer, no key needed"
