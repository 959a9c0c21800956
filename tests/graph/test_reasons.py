"""Why-lines built from templates that translate: the English text stays what the JSON and CLI
show, the structure says it in Russian, and every message an analysis uses is in the catalogue."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import clusterkg.webapp as webapp_package
from clusterkg.graph.analysis.applications import find_applications
from clusterkg.graph.analysis.brokers import find_brokers
from clusterkg.graph.analysis.communities import find_communities
from clusterkg.graph.analysis.dissemination import disseminate
from clusterkg.graph.analysis.gaps import find_gaps
from clusterkg.graph.analysis.matchmaking import plan_meetings
from clusterkg.graph.analysis.partners import search_partners
from clusterkg.graph.reasons import N_, Reason, and_list, join, messages, reason, render
from clusterkg.graph.analysis.project_groups import find_project_group
from clusterkg.graph.analysis.recommend import recommend_clusters
from clusterkg.graph.analysis.roundtable import plan_round_table

PO = Path(webapp_package.__file__).resolve().parent / "translations" / "ru" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def russian() -> dict[str, str]:
    with open(PO, "rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale="ru") if m.id and isinstance(m.id, str) and m.string}


def test_a_reason_is_its_english_text_and_keeps_its_parts():
    line = join([reason(N_("covers %(competencies)s"), competencies=["Lasers", "Optics"]),
                 reason(N_("%(count)s shared member"), count=1), ""])
    assert line == "covers Lasers, Optics; 1 shared member" and isinstance(line, str)
    assert messages(line) == ["covers %(competencies)s", "%(count)s shared member"]
    for copied in (pickle.loads(pickle.dumps(line)), copy.deepcopy(line)):
        assert isinstance(copied, Reason) and messages(copied) == messages(line) and copied == line


def test_render_translates_messages_and_writes_numbers_but_not_data():
    table = {"covers %(competencies)s": "покрывает: %(competencies)s", "%(items)s and %(last)s": "%(items)s и %(last)s",
             "%(count)s shared members": "общих участников: %(count)s"}
    line = join([reason("covers %(competencies)s", competencies=and_list(["covers", "B", "C"])),
                 reason("%(count)s shared members", count=1234)])
    assert line == "covers covers, B and C; 1234 shared members"
    said = render(line, table.get, lambda n: f"{n:,}".replace(",", " "))
    assert said == "покрывает: covers, B и C; общих участников: 1 234"  # a name from the data is never translated
    assert render("plain text", table.get) == "plain text" and render(7) == "7"


def test_every_message_the_analyses_use_is_translated(default_projection, russian):
    """Run the analyses over the real dataset: every message
    of every why-line and note is in the Russian catalogue (a message built at run time, or not
    marked with N_(), would not be), and said in Russian it keeps none of its English words."""
    p = default_projection
    used: set[str] = set()
    for cluster in ("silicon-saxony", "technopolis-moscow", "medicon-valley"):
        gaps = find_gaps(p, cluster, limit=10)
        search = search_partners(p, cluster, limit=10)
        recommended = recommend_clusters(p, cluster, limit=10)
        lines = [g.why for g in gaps.combined] + [g.why for lens in gaps.gaps.values() for g in lens] \
            + list(gaps.notes.values()) + [x.why for x in search.partners] + [r.why for r in search.resources] \
            + list(search.notes) + [x.why for x in recommended.items] + [recommended.note or ""]
        for line in lines:
            assert line == "" or isinstance(line, Reason), line
            used.update(messages(line))
    table = plan_round_table(p, ["semiconductor-devices", "integrated-circuits"], size=8)
    group = find_project_group(p, "semiconductor-devices", size=5)
    meetings = plan_meetings(p, ["silicon-saxony", "medicon-valley", "technopolis-moscow", "fraunhofer-ikts"], 2)
    lines = [b.why for b in find_brokers(p, limit=10).brokers] + [i["reason"] for i in table.invitees] \
        + [t["why"] for t in table.talking_points] + [m["why"] for m in group.members] \
        + [m.why for r in meetings.rounds for m in r.meetings] \
        + [t.why for t in disseminate(p, "thrombodynamics-4d-prototype").items] \
        + [c.why for c in find_communities(p).communities] \
        + [a.why for a in find_applications(p, "silicon-saxony").items]
    for line in lines:
        assert isinstance(line, Reason), line
        used.update(messages(line))
    missing = sorted(m for m in used if m not in russian)
    assert missing == []
    assert len(used) >= 40  # the check saw the lines it is about
    for message in used:
        english_words = {w for w in message.replace("%(", " ").split() if w.isalpha() and w.islower() and len(w) > 3}
        assert not english_words & set(russian[message].split()), message
