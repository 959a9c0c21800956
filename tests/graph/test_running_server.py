"""The note a running server leaves in its store directory, and reading beside a writer.

The command line beside a live ``clusterkg serve`` is tested end to end in tests/test_cli.py.
"""

from __future__ import annotations

import os

import pytest

from clusterkg.graph.running_server import NOTE_NAME, RunningServer, announced, running_server
from clusterkg.graph.store import OxigraphStore



def test_the_note_lives_as_long_as_the_server(tmp_path):
    with announced(tmp_path, "0.0.0.0", 5123, writes=True) as server:
        assert server == RunningServer("http://127.0.0.1:5123", os.getpid(), True)
        assert running_server(tmp_path) == server
        assert server.query_url == "http://127.0.0.1:5123/sparql"
    assert not (tmp_path / NOTE_NAME).exists() and running_server(tmp_path) is None


def test_a_server_leaving_does_not_remove_a_later_servers_note(tmp_path):
    first = announced(tmp_path, "127.0.0.1", 5001, writes=False)
    first.__enter__()
    with announced(tmp_path, "::", 5002, writes=True) as later:
        first.__exit__(None, None, None)
        assert running_server(tmp_path) == later and later.url == "http://[::1]:5002"


def test_a_damaged_note_is_no_server(tmp_path):
    (tmp_path / NOTE_NAME).write_text("{not json", encoding="utf-8")
    assert running_server(tmp_path) is None


def test_an_activity_crosses_to_the_server_intact():
    """What the command line sends with a write beside ``clusterkg serve`` (its own history
    record) comes back as the same activity, delta included, under the server's agent."""
    import pyoxigraph as ox

    from clusterkg.graph.history import Activity, Delta

    triple = ox.Triple(ox.NamedNode("https://example.org/a"), ox.NamedNode("https://example.org/p"),
                       ox.Literal("Технополис", language="ru"))
    sent = Activity("replace", agent="root", files=[("rows.csv", "ab" * 32)], added=1, removed=0,
                    changed=["https://example.org/a"], delta=Delta(added=(triple,)))
    received = Activity.from_json(sent.to_json(), agent="admin")
    assert received.agent == "admin"
    assert (received.operation, received.files, received.added, received.removed, list(received.changed)) == \
        ("replace", [("rows.csv", "ab" * 32)], 1, 0, ["https://example.org/a"])
    assert received.started == sent.started and received.delta == sent.delta


def test_a_malformed_activity_is_refused():
    from clusterkg.graph.history import Activity

    with pytest.raises(ValueError, match="not an activity record"):
        Activity.from_json('{"operation": "import"}', agent="admin")
