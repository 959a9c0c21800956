"""The CORDIS connector reads both published layouts into the same facts, and rejects bad cells
with their file, row and column."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pyoxigraph as ox
import pytest

from clusterkg.graph.ingest.cordis import cordis_triples, country_code, read_cordis
from clusterkg.graph.ingest.mappings import ProgrammeParts
from clusterkg.graph.ingest.provenance import CORDIS_H2020
from clusterkg.graph.problems import ValidationFailed
from clusterkg.ontology.namespace import CKG, DCT, RDF

PARTS = ProgrammeParts.load()
TU_DRESDEN = "999897729"


@pytest.fixture(params=["cordis-bundled", "cordis-portal"])
def cordis(request, open_fixtures):
    return read_cordis(open_fixtures / request.param, PARTS)


def test_both_layouts_give_the_same_projects_and_participations(open_fixtures):
    bundled = read_cordis(open_fixtures / "cordis-bundled", PARTS)
    portal = read_cordis(open_fixtures / "cordis-portal", PARTS)
    assert set(bundled.projects) == set(portal.projects) == {"199082", "193271"}
    key = lambda data: sorted((p.rcn, p.pic, p.role, p.contribution) for p in data.participations)  # noqa: E731
    assert key(bundled) == key(portal)
    for rcn in bundled.projects:
        a, b = bundled.projects[rcn], portal.projects[rcn]
        assert (a.start, a.end, a.eu_contribution, a.parts, a.participant_count) == \
               (b.start, b.end, b.eu_contribution, b.parts, b.participant_count)
    assert portal.projects["193271"].total_cost == Decimal("5350598.75")  # written with a decimal comma


def test_records_say_what_the_source_says(cordis):
    project = cordis.projects["193271"]
    assert project.parts == {"SC1"}
    assert (project.start, project.end) == ("2015-05-01", "2020-10-31")
    roles = {p.pic: p.role for p in cordis.participations if p.rcn == "193271"}
    assert roles[TU_DRESDEN] == "coordinator"
    assert sorted(roles.values()).count("participant") == 3
    assert cordis.organisations["999985417"].country == "GB"  # CORDIS writes UK
    assert "996493902" not in cordis.organisations or cordis.organisations["996493902"].name == "NESTE OYJ"


def test_every_node_carries_record_licence_and_dataset(cordis):
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in cordis_triples(cordis, PARTS))
    for cls in (CKG.Project, CKG.Participation, CKG.SME, CKG.University):
        for (node,) in store.query(f"SELECT ?n WHERE {{ ?n a <{cls}> }}"):
            for predicate in (DCT.source, DCT.license, DCT.isPartOf):
                assert list(store.quads_for_pattern(node, ox.NamedNode(str(predicate)), None)), (node, predicate)
    licences = {q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(str(DCT.license)), None)}
    assert licences == {CORDIS_H2020.licence}
    coordinators = list(store.query(
        f"SELECT ?p WHERE {{ ?p <{CKG.participationRole}> <{CKG.RoleCoordinator}> ; <{CKG.project}> ?proj }}"))
    assert len(coordinators) == 2
    assert list(store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(CKG.Project))))


def test_the_participant_count_of_a_project_is_kept(cordis):
    assert cordis.projects["199082"].participant_count == 4


@pytest.mark.parametrize(
    ("layout", "file", "old", "new", "expected"),
    [
        ("cordis-bundled", "participations.csv", "199082,participant,999980664", "199082,participant,99998066X",
         "participations.csv: row 2: pic: expected a nine-digit PIC, got '99998066X'"),
        ("cordis-bundled", "participations.csv", "199082,participant,999870181", "199082,observer,999870181",
         "participations.csv: row 3: role: expected a role"),
        ("cordis-bundled", "participations.csv", "2016-01-01,2018-12-31,867205", "2016-13,2018-12-31,867205",
         "participations.csv: row 2: start_date: expected a date YYYY-MM-DD, got '2016-13'"),
        ("cordis-portal", "organization.csv", ";221643;", ";-5;",
         "organization.csv: row 3: ecContribution: expected an amount of zero or more, got '-5'"),
        ("cordis-portal", "project.csv", "id;acronym", "grant;acronym",
         "project.csv: id: missing column(s)"),
    ],
)
def test_a_bad_cell_is_located(tmp_path, open_fixtures, layout, file, old, new, expected):
    folder = tmp_path / layout
    shutil.copytree(open_fixtures / layout, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValidationFailed) as failure:
        read_cordis(folder, PARTS)
    assert any(str(p).startswith(expected) for p in failure.value.problems), failure.value.problems


def test_an_empty_folder_says_what_it_expected(tmp_path):
    with pytest.raises(ValidationFailed, match="project.csv and organization.csv"):
        read_cordis(tmp_path, PARTS)


def test_country_codes():
    assert [country_code(c) for c in ("UK", "EL", "de", "")] == ["GB", "GR", "DE", ""]
