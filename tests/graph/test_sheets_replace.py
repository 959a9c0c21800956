"""A replacement by a sheet replaces what the sheet describes, on the real default dataset.

For every sheet a cluster's editor can upload: the earlier rows are gone, the rest of the
cluster (and other clusters' links) is intact, the history records what was added and removed,
and a revert gives the data back exactly. On both staging paths: a generation of an on-disk
store, and a scratch store beside an in-memory one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterkg.graph.dataset import initialise
from clusterkg.graph.history import list_history
from clusterkg.graph.importer import import_files
from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.revert import revert_change
from clusterkg.graph.store import OxigraphStore

ID = "https://w3id.org/clusterkg/id/"
CKG = "https://w3id.org/clusterkg/ns#"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
SOURCE = "https://example.org/source"


@pytest.fixture(params=["memory", "disk"])
def store(request, tmp_path):
    opened = OxigraphStore(tmp_path / "store" if request.param == "disk" else None)
    initialise(opened, progress=False)
    yield opened
    opened.close()


def _data(store) -> list[bytes]:
    return sorted(store.dump().splitlines())


def _import(store, tmp_path: Path, name: str, text: str, *, replace: bool) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    import_files([path], store, replace=replace, progress=False, agent="anna")


def _ask(store, pattern: str) -> bool:
    return store.ask(f"PREFIX ckg: <{CKG}> PREFIX org: <http://www.w3.org/ns/org#> PREFIX id: <{ID}> "
                     f"PREFIX cluster: <{ID}cluster/> PREFIX o: <{ID}org/> ASK {{ {pattern} }}")


def _values(store, query: str) -> set[str]:
    _, rows = store.select_values(f"PREFIX ckg: <{CKG}> PREFIX cluster: <{ID}cluster/> PREFIX o: <{ID}org/> {query}")
    return {row[0] for row in rows}


def _replace_and_revert(store, tmp_path, name: str, text: str, check) -> None:
    """Replace with ``text``; ``check`` the result; the history says it; a revert restores the data."""
    before = _data(store)
    _import(store, tmp_path, name, text, replace=True)
    check()
    last = list_history(store)[-1]
    assert last.operation == "replace" and last.agent == "anna" and last.revertible
    assert last.removed > 0 and last.added > 0
    revert_change(store, last.activity, agent="anna")
    assert _data(store) == before


def _intact(store) -> None:
    """What no editor sheet of Silicon Saxony's needs may touch: its profile and other clusters' links."""
    assert _ask(store, f'cluster:silicon-saxony {LABEL} "Silicon Saxony" ; ckg:industry ?i ; ckg:country ?c')
    assert _ask(store, "o:globalfoundries ckg:affiliatedWith cluster:cool-silicon ; org:memberOf cluster:cool-silicon")
    assert _ask(store, "?a ckg:cluster cluster:cool-silicon ; ckg:organisation o:infineon-technologies-dresden")
    assert _ask(store, "o:infineon-technologies-dresden ckg:hasCompetency ?c ; ckg:qualifiedCompetency ?q")


AFFILIATIONS = ("cluster,organisation,relation,role,start,end,source_url,source_quote\n"
                f"silicon-saxony,globalfoundries,member,,2009,,{SOURCE},member since 2009\n"
                f"silicon-saxony,x-fab-dresden,project_partner,,,,{SOURCE},partner in a project\n")


def test_affiliations_make_the_cluster_s_members_exactly_the_rows(store, tmp_path):
    members = "SELECT ?o WHERE { ?o ckg:affiliatedWith cluster:silicon-saxony }"
    assert len(_values(store, members)) == 22

    def check():
        assert _values(store, members) == {f"{ID}org/globalfoundries", f"{ID}org/x-fab-dresden"}
        assert _ask(store, "o:x-fab-dresden ckg:projectPartnerOf cluster:silicon-saxony")
        assert not _ask(store, "o:x-fab-dresden org:memberOf cluster:silicon-saxony")
        assert not _ask(store, "o:infineon-technologies-dresden org:memberOf cluster:silicon-saxony")
        assert _ask(store, '?a ckg:cluster cluster:silicon-saxony ; ckg:organisation o:globalfoundries ; '
                           '<https://schema.org/startDate> "2009"^^<http://www.w3.org/2001/XMLSchema#gYear>')
        _intact(store)  # globalfoundries and infineon keep their Cool Silicon memberships

    _replace_and_revert(store, tmp_path, "affiliations.csv", AFFILIATIONS, check)


def test_organisations_replace_the_rows_cells_and_keep_their_ties(store, tmp_path):
    text = ("id,name,type,country,region,city,website,source_url,source_quote\n"
            f"globalfoundries,GlobalFoundries Dresden,large_enterprise,DE,,Dresden,,{SOURCE},the fab in Dresden\n")

    def check():
        assert _values(store, f"SELECT ?l WHERE {{ o:globalfoundries {LABEL} ?l }}") == {"GlobalFoundries Dresden"}
        assert _values(store, "SELECT ?s WHERE { o:globalfoundries <http://purl.org/dc/terms/source> ?s }") == {SOURCE}
        assert _ask(store, "o:globalfoundries ckg:affiliatedWith cluster:silicon-saxony ; ckg:hasCompetency ?c")
        _intact(store)

    _replace_and_revert(store, tmp_path, "organisations.csv", text, check)


def test_claims_make_the_organisation_s_competencies_exactly_the_rows(store, tmp_path):
    text = ("organisation,competency,level,basis,source_url,source_quote\n"
            f"globalfoundries,chip-design,advanced,stated,{SOURCE},designs chips\n")
    competencies = "SELECT ?c WHERE { o:globalfoundries ckg:hasCompetency ?c }"
    assert len(_values(store, competencies)) == 2

    def check():
        assert _values(store, competencies) == {f"{ID}competency/chip-design"}
        assert _values(store, "SELECT ?q WHERE { o:globalfoundries ckg:qualifiedCompetency ?q }") == {
            f"{ID}claim/globalfoundries--chip-design"}
        assert not _ask(store, f"<{ID}claim/globalfoundries--microprocessors> ?p ?o")
        assert _ask(store, "o:globalfoundries ckg:affiliatedWith cluster:silicon-saxony")
        _intact(store)

    _replace_and_revert(store, tmp_path, "organisation_competencies.csv", text, check)


NEEDS = ("cluster,organisation,competency,description,valid_until,source_url,source_quote\n"
         f"silicon-saxony,,chip-design,design partners,2027-12-31,{SOURCE},we need chip design\n"
         f"silicon-saxony,,cleanroom-technology,cleanrooms,,{SOURCE},we need cleanrooms\n")


def test_needs_make_the_cluster_s_needs_exactly_the_rows(store, tmp_path):
    _import(store, tmp_path, "needs.csv", NEEDS, replace=False)
    text = ("cluster,organisation,competency,description,valid_until,source_url,source_quote\n"
            f"silicon-saxony,,specialty-chemicals,chemicals,2026-06-30,{SOURCE},we need chemicals\n")
    needs = "SELECT ?c WHERE { cluster:silicon-saxony ckg:needsCompetency ?c }"
    assert len(_values(store, needs)) == 2

    def check():
        assert _values(store, needs) == {f"{ID}competency/specialty-chemicals"}
        assert _values(store, "SELECT ?n WHERE { cluster:silicon-saxony ckg:qualifiedNeed ?n }") == {
            f"{ID}need/cluster-silicon-saxony--specialty-chemicals"}
        assert not _ask(store, f"<{ID}need/cluster-silicon-saxony--chip-design> ?p ?o")
        assert len(_values(store, "SELECT ?o WHERE { ?o ckg:affiliatedWith cluster:silicon-saxony }")) == 22
        _intact(store)

    _replace_and_revert(store, tmp_path, "needs.csv", text, check)


@pytest.mark.parametrize("sheet, columns, predicate", [
    ("resources", "id,organisation,kind,label,competencies,source_url,source_quote", "offeredBy"),
    ("developments", "id,organisation,label,description,competencies,industries,date,source_url,source_quote",
     "developedBy"),
])
def test_resources_and_developments_make_the_organisation_s_rows_exactly_these(store, tmp_path, sheet, columns,
                                                                                predicate):
    def row(key: str) -> str:
        cells = {"id": key, "organisation": "fraunhofer-ipms", "kind": "pilot_line", "label": key.title(),
                 "source_url": SOURCE, "source_quote": "shown"}
        return ",".join(cells.get(c, "") for c in columns.split(",")) + "\n"

    _import(store, tmp_path, f"{sheet}.csv", columns + "\n" + row("ipms-one") + row("ipms-two"), replace=False)
    owned = f"SELECT ?r WHERE {{ ?r ckg:{predicate} o:fraunhofer-ipms }}"
    assert len(_values(store, owned)) == 2

    def check():
        assert _values(store, owned) == {f"{ID}{sheet[:-1]}/ipms-three"}
        assert not _ask(store, f"<{ID}{sheet[:-1]}/ipms-one> ?p ?o")
        _intact(store)

    _replace_and_revert(store, tmp_path, f"{sheet}.csv", columns + "\n" + row("ipms-three"), check)


def test_the_cluster_row_keeps_what_other_sheets_say(store, tmp_path):
    _import(store, tmp_path, "needs.csv", NEEDS, replace=False)
    text = ("id,name,countries,industries,source_url,source_quote\n"
            f"silicon-saxony,Silicon Saxony e.V.,DE,ecosystem-electronics,{SOURCE},the cluster\n")

    def check():
        assert _values(store, f"SELECT ?l WHERE {{ cluster:silicon-saxony {LABEL} ?l }}") == {"Silicon Saxony e.V."}
        assert not _ask(store, "cluster:silicon-saxony <https://schema.org/url> ?w")  # its website cell was emptied
        assert len(_values(store, "SELECT ?c WHERE { cluster:silicon-saxony ckg:needsCompetency ?c }")) == 2
        assert len(_values(store, "SELECT ?o WHERE { ?o ckg:affiliatedWith cluster:silicon-saxony }")) == 22

    _replace_and_revert(store, tmp_path, "clusters.csv", text, check)


def test_a_rejected_replacement_changes_nothing(store, tmp_path):
    before = _data(store)
    bad = AFFILIATIONS + f"silicon-saxony,no-such-organisation,member,,,,{SOURCE},q\n"
    with pytest.raises(ValidationFailed) as failure:
        _import(store, tmp_path, "affiliations.csv", bad, replace=True)
    assert {p.location for p in failure.value.problems} == {"row 4"}
    assert _data(store) == before


def test_clusterkg_import_replace_of_a_needs_sheet(tmp_path):
    """The same through the command line, on an on-disk store."""
    from click.testing import CliRunner

    from clusterkg.cli import cli

    def run(*args: str):
        return CliRunner().invoke(cli, ["--store", str(tmp_path / "store"), *args], catch_exceptions=False)

    def needs() -> list[str]:
        answer = run("query", f"SELECT ?c WHERE {{ <{ID}cluster/silicon-saxony> <{CKG}needsCompetency> ?c }} ORDER BY ?c",
                     "--format", "csv")
        return [line.rsplit("/", 1)[-1] for line in answer.output.splitlines()[1:]]

    assert run("init").exit_code == 0
    (tmp_path / "needs.csv").write_text(NEEDS, encoding="utf-8")
    assert run("import", str(tmp_path / "needs.csv")).exit_code == 0
    assert needs() == ["chip-design", "cleanroom-technology"]
    (tmp_path / "needs.csv").write_text(NEEDS.splitlines()[0] + "\n" + NEEDS.splitlines()[2] + "\n", encoding="utf-8")
    result = run("import", "--replace", str(tmp_path / "needs.csv"))
    assert result.exit_code == 0, result.output
    assert "replaced triples removed" in result.output
    assert needs() == ["cleanroom-technology"]
    members = run("query", f"SELECT (COUNT(*) AS ?n) WHERE {{ ?o <{CKG}affiliatedWith> <{ID}cluster/silicon-saxony> }}",
                  "--format", "csv")
    assert members.output.splitlines()[1] == "22"
