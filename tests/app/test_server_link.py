"""The pure parts of publishing: server URLs, the document's link, fingerprints, curl calls."""

from __future__ import annotations

import json
import shlex

import pytest

from app.servers import ServerLink, graph_fingerprint, normalise_url, server_link
from app.webhook_example import curl_example, example_payload, webhook_inputs
from engine.workflow import Node, Position, Workflow
from tests.app.support import edge

URL = "http://127.0.0.1:8000/workflow/wh_abc/trigger"


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        (" HTTP://Studio.Example.com:8000/ ", "http://studio.example.com:8000"),
        ("studio.example.com", "https://studio.example.com"),
        ("https://example.com/patchbay/api/v1/", "https://example.com/patchbay"),
    ],
)
def test_server_urls_are_normalised(typed: str, normalised: str) -> None:
    assert normalise_url(typed) == normalised


@pytest.mark.parametrize("bad", ["", "ftp://example.com", "http://", "https://me:pw@example.com"])
def test_bad_server_urls_are_refused_with_a_message(bad: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        normalise_url(bad)


def _workflow(**changes: object) -> Workflow:
    workflow = Workflow(
        name="Poster",
        nodes=[
            Node(id="brief", type="input.text", data={"name": "brief", "default": "a red shoe"}),
            Node(id="count", type="input.number", data={"name": "count", "default": 3}),
            Node(id="out", type="output.text", position=Position(x=300)),
        ],
        edges=[edge("e1", "brief", "text", "out", "text")],
    )
    return workflow.model_copy(update=changes)


def test_the_fingerprint_ignores_layout_labels_and_order_but_not_what_runs() -> None:
    base = _workflow()
    same = [
        _workflow(name="Renamed", metadata={"viewport": {"zoom": 2}}),
        _workflow(
            nodes=[n.model_copy(update={"position": Position(x=9, y=9)}) for n in base.nodes]
        ),
        _workflow(nodes=[n.model_copy(update={"label": "Shown"}) for n in base.nodes]),
        _workflow(nodes=list(reversed(base.nodes))),
    ]
    for other in same:
        assert graph_fingerprint(other) == graph_fingerprint(base)
    brief = base.nodes[0].model_copy(update={"data": {"name": "brief", "default": "blue"}})
    different = [
        _workflow(nodes=[brief, *base.nodes[1:]]),
        _workflow(edges=[]),
        _workflow(nodes=base.nodes[:2]),
    ]
    for other in different:
        assert graph_fingerprint(other) != graph_fingerprint(base)


def test_the_link_round_trips_through_the_document_metadata() -> None:
    link = ServerLink("http://127.0.0.1:8000", "wf_1", 3, "abc", URL)
    workflow = _workflow(metadata={"server": link.to_json()})
    assert server_link(workflow) == link
    assert server_link(Workflow.model_validate_json(workflow.to_json())) == link
    assert server_link(_workflow()) is None
    assert server_link(_workflow(metadata={"server": {"url": 3}})) is None


def test_the_curl_call_sends_every_input_by_name_with_its_default() -> None:
    workflow = _workflow()
    assert [i.name for i in webhook_inputs(workflow)] == ["brief", "count"]
    command = curl_example(URL, workflow)
    args = shlex.split(command.replace("\\\n", " "))
    assert args[:4] == ["curl", "-X", "POST", URL]
    assert args[args.index("-H") + 1] == "Content-Type: application/json"
    assert json.loads(args[args.index("-d") + 1]) == {"brief": "a red shoe", "count": 3}
    assert example_payload(workflow) == {"brief": "a red shoe", "count": 3}


def test_quotes_in_defaults_survive_the_shell() -> None:
    quoted = Node(id="q", type="input.text", data={"name": "line", "default": 'it\'s "fine"'})
    command = curl_example(URL, Workflow(nodes=[quoted]))
    args = shlex.split(command.replace("\\\n", " "))
    assert json.loads(args[args.index("-d") + 1]) == {"line": 'it\'s "fine"'}


def test_an_image_input_makes_the_call_a_multipart_upload() -> None:
    workflow = Workflow(
        nodes=[
            Node(id="photo", type="input.image", data={"name": "photo", "default": "/x/shot.jpg"}),
            Node(id="title", type="input.text", data={"default": "Spring"}),
        ]
    )
    args = shlex.split(curl_example(URL, workflow).replace("\\\n", " "))
    assert args[4:] == ["-F", "photo=@shot.jpg", "-F", "title=Spring"]  # unnamed: its id
    assert example_payload(workflow) == {"title": "Spring"}
