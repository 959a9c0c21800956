"""Import is all or nothing, and every problem is located; the same cases on every store."""

from pathlib import Path

import pytest

from clusterkg.graph.importer import import_files, validate_only
from clusterkg.graph.problems import ValidationFailed
from clusterkg.ontology import ontology_graph

DATA_DIR = Path(__file__).parent.parent / "data"
MINI = sorted((DATA_DIR / "mini").glob("*.csv"))
BROKEN = DATA_DIR / "broken"


def test_mini_dataset_imports(any_store):
    report = import_files(MINI, any_store, progress=False)
    assert report.added > 100
    assert any_store.ask(
        "PREFIX org: <http://www.w3.org/ns/org#> ASK { <https://w3id.org/clusterkg/id/org/globalfoundries-dresden> org:memberOf <https://w3id.org/clusterkg/id/cluster/silicon-saxony> }"
    )


def test_import_is_idempotent(memory_store):
    import_files(MINI, memory_store, progress=False)
    before = memory_store.triple_count()
    report = import_files(MINI, memory_store, progress=False)
    assert report.added == 0 and memory_store.triple_count() == before


def test_dry_run_writes_nothing(memory_store):
    report = import_files(MINI, memory_store, dry_run=True, progress=False)
    assert report.dry_run and report.batch_triples > 100
    assert memory_store.triple_count() == 0


def _dump(store) -> set[bytes]:
    return set(store.dump("application/n-triples").splitlines())


def test_rejected_import_leaves_the_store_exactly_as_it_was(any_store):
    import_files(MINI, any_store, progress=False)
    before = _dump(any_store)
    version = any_store.data_version()
    good_and_bad = [DATA_DIR / "mini" / "clusters.csv", BROKEN / "affiliations.csv"]
    with pytest.raises(ValidationFailed):
        import_files(good_and_bad, any_store, progress=False)
    assert _dump(any_store) == before
    assert any_store.data_version() == version


def test_all_problems_of_all_files_are_reported_in_one_run(memory_store):
    import_files(MINI, memory_store, progress=False)
    files = [BROKEN / "clusters.csv", BROKEN / "affiliations.csv", BROKEN / "syntax.ttl", BROKEN / "dangling.ttl"]
    with pytest.raises(ValidationFailed) as caught:
        import_files(files, memory_store, progress=False)
    lines = [str(p) for p in caught.value.problems]
    text = "\n".join(lines)
    # cell errors, located by file, row and column
    assert any(line.startswith(f"{BROKEN / 'clusters.csv'}: row 2: founded:") for line in lines), text
    # references checked against batch and store
    assert f"{BROKEN / 'clusters.csv'}: row 3: countries: unknown country country/XX" in text
    assert f"{BROKEN / 'clusters.csv'}: row 3: industries: unknown industry industry/nace-z" in text
    assert f"{BROKEN / 'affiliations.csv'}: row 2: cluster: unknown cluster cluster/no-such-cluster" in text
    assert f"{BROKEN / 'affiliations.csv'}: row 2: organisation: unknown organisation org/no-such-org" in text
    assert f"{BROKEN / 'affiliations.csv'}: row 3: relation: expected one of member" in text
    # Turtle: syntax error with its line; dangling reference with the line of its subject
    assert any(line.startswith(f"{BROKEN / 'syntax.ttl'}: line 4: syntax error") for line in lines), text
    assert any(line.startswith(f"{BROKEN / 'dangling.ttl'}: line 6: ckg:country: unknown country country/ZZ") for line in lines), text
    assert memory_store.triple_count() > 0  # the earlier import is still there


def test_references_into_the_store_are_accepted(memory_store, tmp_path):
    import_files(MINI, memory_store, progress=False)
    extra = tmp_path / "affiliations.csv"
    extra.write_text(
        "cluster,organisation,relation,source_url\n"
        "minalogic,zentrum-mikroelektronik-dresden,project_partner,https://example.org/project\n"
    )
    report = import_files([extra], memory_store, progress=False)
    assert report.added > 0
    assert memory_store.ask(
        "PREFIX ckg: <https://w3id.org/clusterkg/ns#> ASK { ?o ckg:projectPartnerOf <https://w3id.org/clusterkg/id/cluster/minalogic> }"
    )


def test_shacl_violations_are_located(memory_store, tmp_path):
    import_files(MINI, memory_store, progress=False)
    turtle = tmp_path / "partnership.ttl"
    turtle.write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/clusterkg/id/partnership/lonely> a ckg:Partnership, ckg:MetaCluster ;\n"
        "    rdfs:label \"A partnership of one\" ;\n"
        "    ckg:participant <https://w3id.org/clusterkg/id/cluster/minalogic> .\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        import_files([turtle], memory_store, progress=False)
    lines = [str(p) for p in caught.value.problems]
    assert lines and all(line.startswith(f"{turtle}: line 3:") for line in lines), lines
    assert any("source" in line for line in lines), lines


def test_validate_only_checks_without_a_store():
    report = validate_only(MINI, None)
    assert report.batch_triples > 100
    with pytest.raises(ValidationFailed):
        validate_only([BROKEN / "affiliations.csv"], None)


def test_ontology_and_rdf_formats_import(memory_store, tmp_path):
    graph = ontology_graph()
    for suffix, fmt in [(".ttl", "turtle"), (".nt", "nt"), (".jsonld", "json-ld"), (".rdf", "xml")]:
        path = tmp_path / f"ontology{suffix}"
        path.write_text(graph.serialize(format=fmt), encoding="utf-8")
    # the ontology alone has no data references to break; each serialisation loads the same triples
    counts = set()
    for path in sorted(tmp_path.iterdir()):
        memory_store.clear()
        import_files([path], memory_store, progress=False)
        counts.add(memory_store.triple_count())
    assert counts == {len(graph)}


def test_consistency_checks_run_on_the_batch(memory_store, tmp_path):
    import_files(MINI, memory_store, progress=False)
    turtle = tmp_path / "shortcut.ttl"
    turtle.write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/ns#> .\n"
        "<https://w3id.org/clusterkg/id/org/globalfoundries-dresden> ckg:hasCompetency\n"
        "    <https://w3id.org/clusterkg/id/competency/microelectronics> .\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        import_files([turtle], memory_store, progress=False)
    assert [str(p) for p in caught.value.problems] == [
        f"{turtle}: line 2: ckg:hasCompetency without a competency claim: organisation org/globalfoundries-dresden, "
        "competency competency/microelectronics (check competency-shortcut-mismatch-violation)"
    ]
