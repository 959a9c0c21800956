"""Import is all or nothing, and every problem is located; the same cases on every store."""

import hashlib
import time
from pathlib import Path

import pytest

from clusterkg.graph import parsing, staging
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


# --------------------------------------------------------------------------- hostile RDF (issue 12)

import socket  # noqa: E402
import threading  # noqa: E402

from clusterkg.graph.history import list_history  # noqa: E402


def _problems(paths, store) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        import_files(paths, store, progress=False)
    return [str(p) for p in caught.value.problems]


@pytest.fixture()
def listener():
    """A TCP listener on 127.0.0.1 that counts the connections it receives."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    hits, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            hits.append(1)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join(timeout=2)
    server.close()


def test_json_ld_remote_and_file_contexts_are_refused_and_never_fetched(memory_store, tmp_path, listener):
    port, hits = listener
    secret = tmp_path / "context.jsonld"
    secret.write_text('{"@context": {"name": "http://www.w3.org/2000/01/rdf-schema#label"}}')
    remote = tmp_path / "remote.jsonld"
    remote.write_text('{\n  "@context": "http://127.0.0.1:%d/c.jsonld",\n  "@id": "https://example.org/a",\n  "name": "x"\n}\n' % port)
    local = tmp_path / "local.jsonld"
    local.write_text('{\n  "@id": "https://example.org/b",\n  "@context": ["%s"],\n  "name": "y"\n}\n' % secret.as_uri())
    lines = _problems([remote, local], memory_store)
    assert f"{remote}: line 2: @context: remote or file contexts are not fetched: 'http://127.0.0.1:{port}/c.jsonld'; put the context inline" in lines
    assert any(line.startswith(f"{local}: line 3: @context: remote or file contexts are not fetched") for line in lines), lines
    assert hits == [] and memory_store.triple_count() == 0


def test_rdf_xml_entity_declarations_are_refused_fast(memory_store, tmp_path):
    laughs = tmp_path / "laughs.rdf"
    entities = "\n".join(f'  <!ENTITY l{i} "{"&l%d;" % (i - 1) * 10 if i else "lol"}">' for i in range(10))
    laughs.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n{entities}\n]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:r="http://www.w3.org/2000/01/rdf-schema#">\n'
        '  <rdf:Description rdf:about="https://example.org/a"><r:label>&l9;</r:label></rdf:Description>\n</rdf:RDF>\n'
    )
    start = time.monotonic()
    lines = _problems([laughs], memory_store)
    assert time.monotonic() - start < 10
    assert lines == [f"{laughs}: line 3: DTD entity declarations are not accepted in RDF/XML "
                     "(they can expand without bound); write the values out"]


@pytest.mark.parametrize(("suffix", "text", "line"), [
    (".nt", '<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "ok" .\n'
            '<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "x\\q" .\n', 2),
    (".nt", '<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "ok" .\n\n'
            '<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> oops .\n', 3),
    (".nt", '<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "ok" .\n'  # (a lenient load takes it)
            '<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <relative> .\n', 2),
    (".ttl", '@prefix r: <http://www.w3.org/2000/01/rdf-schema#> .\n'
             '<https://example.org/a> r:seeAlso <https://example.org/a b> .\n', 2),
    (".ttl", '<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "1"^^<http://x/a b> .\n', 1),
])
@pytest.mark.parametrize("staged", ["written", "as it is", "unparsed"])
def test_syntax_errors_and_invalid_iris_carry_their_line(memory_store, disk_store, tmp_path, monkeypatch, suffix, text,
                                                        line, staged):
    # as a large N-Triples file, read but not written again, is checked; into a new generation
    # of an on-disk store such a file is not even parsed, but loaded strictly (then parsed for
    # its problem's line)
    store = disk_store if staged == "unparsed" else memory_store
    if staged != "written":
        monkeypatch.setattr(parsing, "SMALL_LOAD", 0)
        monkeypatch.setattr(staging, "SMALL_LOAD", 0)
    # (as in a large file, its subjects are read only until there are too many to list)
    monkeypatch.setattr(staging, "MAX_LISTED_RESOURCES", 0)
    path = tmp_path / f"bad{suffix}"
    path.write_text(text)
    before = store.triple_count()
    lines = _problems([path], store)
    assert len(lines) == 1 and lines[0].startswith(f"{path}: line {line}: syntax error"), lines
    assert store.triple_count() == before


ILL_TYPED = ('<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "a" .\n'
             '<https://example.org/a> <https://schema.org/foundingDate> "2001"^^<http://www.w3.org/2001/XMLSchema#gYear> .\n'
             '<https://example.org/b> <https://schema.org/foundingDate> "20x1"^^<http://www.w3.org/2001/XMLSchema#gYear> .\n')


@pytest.mark.parametrize("large", [False, True])
def test_an_ill_typed_literal_is_located_however_the_file_is_staged(disk_store, tmp_path, monkeypatch, large):
    if large:  # unparsed: only the lines with a typed literal are parsed, then the whole file
        monkeypatch.setattr(parsing, "SMALL_LOAD", 0)
        monkeypatch.setattr(staging, "SMALL_LOAD", 0)
    path = tmp_path / "years.nt"
    path.write_text(ILL_TYPED)
    before = disk_store.triple_count()
    assert _problems([path], disk_store) == [
        f"{path}: line 3: xsd:gYear: '20x1' is not a valid xsd:gYear: expected a four-digit year, e.g. 2005"]
    assert disk_store.triple_count() == before


def test_an_unparsed_file_is_counted_by_its_lines_and_checked_on_its_subjects(disk_store, tmp_path, monkeypatch):
    monkeypatch.setattr(parsing, "SMALL_LOAD", 0)
    monkeypatch.setattr(staging, "SMALL_LOAD", 0)
    # comments, blank lines, indented and CRLF lines, no final line break: the triples the parser sees
    text = ('# a comment ^^ with a caret pair\n\n' + ILL_TYPED.replace('"20x1"', '"2011"')
            + '  <https://example.org/c> <http://www.w3.org/2000/01/rdf-schema#label> "c^^" .  # indented\r\n'
            + '\t# indented comment\r\n<https://example.org/c> <https://example.org/p> _:x .\n'
            + '_:x <https://example.org/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .')
    path = tmp_path / "mixed.nt"
    path.write_bytes(text.encode())
    unparsed = parsing.parse_files([path], tmp_path, defer=True)
    parsed = parsing.parse_files([path], tmp_path)
    assert unparsed.files[0].unparsed and not parsed.files[0].unparsed
    assert unparsed.problems == parsed.problems == []
    # counted by staging's strict load, as it reads the lines (here in slices of a few lines)
    monkeypatch.setattr(staging, "_LOAD_SLICE", 100)
    assert staging._bulk_load(parsing.ox.Store(), path, strict=True) == parsed.triples == 6
    for number, other in enumerate(['<https://example.org/c> <https://example.org/p> _:x .\n_:x <https://example.org/p> "1" .\n',
                                    '<https://example.org/c> <https://example.org/p> _:x .\n_:x <https://example.org/p> "1" .\n# c\n']):
        (tmp_path / f"other{number}.nt").write_text(other)
        assert staging._bulk_load(parsing.ox.Store(), tmp_path / f"other{number}.nt", strict=True) == 2
    named = {s for s in parsed.subjects if isinstance(s, parsing.ox.NamedNode)}
    assert len(named) == 3 and named < unparsed.subjects and len(unparsed.subjects) == 4  # (read when asked)
    assert parsing.more_named_than(unparsed.files[0].subjects, 2) and not parsing.more_named_than(unparsed.subjects, 3)
    # a batch as large as the store: its rows are kept for its subjects, read from the file
    broken = tmp_path / "broken.nt"
    broken.write_text(ILL_TYPED.replace('"20x1"^^<http://www.w3.org/2001/XMLSchema#gYear>', '<https://example.org/nowhere>')
                      .replace("https://schema.org/foundingDate> \"2001", "https://w3id.org/clusterkg/ns#country> \"2001"))
    lines = _problems([broken], disk_store)
    assert f"{broken}: line 1: ckg:country: expected a country IRI, got \"2001\"^^<http://www.w3.org/2001/XMLSchema#gYear>" \
        in lines, lines
    # and the count is the import's
    report = import_files([path], disk_store, progress=False)
    assert report.batch_triples == 6 and report.added == 6


def test_a_large_ntriples_file_is_staged_as_it_is(any_store, tmp_path, monkeypatch):
    # above SMALL_LOAD an N-Triples file is only read by the parse and staged from the file itself;
    # a file ending in a comment without a line break must not swallow the next file's first line
    monkeypatch.setattr(parsing, "SMALL_LOAD", 0)
    monkeypatch.setattr(staging, "SMALL_LOAD", 0)
    first, second = tmp_path / "first.nt", tmp_path / "second.nt"
    first.write_text('<https://example.org/a> <https://example.org/p> "1" .\n# the end, no line break')
    second.write_text('<https://example.org/b> <https://example.org/p> "2" .\n'
                      '<https://example.org/c> <https://example.org/p> <https://example.org/a> .\n')
    batch = parsing.parse_files([first, second], tmp_path)
    assert batch.ntriples == [first, second] and batch.triples == 3 and batch.problems == []
    import_files([first, second], any_store, progress=False)
    assert any_store.select_values("SELECT ?s ?o WHERE { ?s <https://example.org/p> ?o } ORDER BY ?s")[1] == [
        ("https://example.org/a", "1"), ("https://example.org/b", "2"), ("https://example.org/c", "https://example.org/a")]


def test_json_ld_id_with_a_space_is_an_error_not_dropped(memory_store, tmp_path):
    path = tmp_path / "space.jsonld"
    path.write_text('{\n  "@id": "https://example.org/a b",\n  "http://www.w3.org/2000/01/rdf-schema#label": "x"\n}\n')
    assert _problems([path], memory_store) == [f"{path}: line 2: @id: not a valid IRI: 'https://example.org/a b'"]


def test_an_addition_to_an_existing_node_is_checked_with_it(any_store, tmp_path):
    import_files(MINI, any_store, progress=False)
    before = _dump(any_store)
    addition = tmp_path / "count.ttl"
    addition.write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/ns#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        '<https://w3id.org/clusterkg/id/cluster/silicon-saxony> ckg:memberCount "-5"^^xsd:integer .\n'
    )
    lines = _problems([addition], any_store)
    assert lines and all(line.startswith(f"{addition}: line 3: ckg:memberCount: ") for line in lines), lines
    assert _dump(any_store) == before


# --------------------------------------------------------------------------- replace and history


def test_replace_swaps_a_description_and_keeps_what_others_say(any_store, tmp_path):
    import_files(MINI, any_store, progress=False)
    cluster = "https://w3id.org/clusterkg/id/cluster/silicon-saxony"
    incoming = f"ASK {{ ?a <https://w3id.org/clusterkg/ns#cluster> <{cluster}> }}"
    assert any_store.ask(incoming)
    description = any_store.construct(f"CONSTRUCT {{ <{cluster}> ?p ?o }} WHERE {{ <{cluster}> ?p ?o }}")
    corrected = tmp_path / "cluster.nt"
    lines = [f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in description
             if str(p) != "http://www.w3.org/2000/01/rdf-schema#label"]
    lines.append(f'<{cluster}> <http://www.w3.org/2000/01/rdf-schema#label> "Silicon Saxony e.V."@de .')
    corrected.write_text("\n".join(lines) + "\n")
    labels = f"SELECT ?l WHERE {{ <{cluster}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
    old_labels = {str(row[0]) for row in any_store.select(labels)}
    report = import_files([corrected], any_store, replace=True, progress=False, agent="editor")
    assert {str(row[0]) for row in any_store.select(labels)} == {"Silicon Saxony e.V."}
    assert report.removed == len(old_labels) and report.added == 1
    assert any_store.ask(incoming)  # what the affiliations say about it stays
    last = list_history(any_store)[-1]
    assert (last.operation, last.agent, last.added, last.removed) == ("replace", "editor", 1, len(old_labels))
    assert last.version == any_store.data_version() and last.files == (str(corrected),)
    digest = hashlib.sha256(corrected.read_bytes()).hexdigest()  # (computed beside the checks)
    assert any_store.ask("ASK { GRAPH <https://w3id.org/clusterkg/graph/history> "
                         f'{{ ?file <https://w3id.org/clusterkg/ns#sha256> "{digest}" }} }}')


def test_a_rejected_replacement_changes_nothing(any_store, tmp_path):
    import_files(MINI, any_store, progress=False)
    before, version = _dump(any_store), any_store.data_version()
    cluster = "https://w3id.org/clusterkg/id/cluster/silicon-saxony"
    bare = tmp_path / "bare.nt"  # a cluster without its required country and source
    bare.write_text(f'<{cluster}> <http://www.w3.org/2000/01/rdf-schema#label> "S" .\n'
                    f'<{cluster}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/clusterkg/ns#Cluster> .\n')
    with pytest.raises(ValidationFailed):
        import_files([bare], any_store, replace=True, progress=False)
    assert _dump(any_store) == before and any_store.data_version() == version


def test_every_write_is_recorded_with_the_version_it_made(any_store):
    import_files(MINI, any_store, progress=False)
    any_store.update('INSERT DATA { <https://example.org/x> <http://www.w3.org/2000/01/rdf-schema#comment> "c" }', agent="api")
    history = list_history(any_store)
    assert [h.operation for h in history][-2:] == ["import", "update"]  # (the remote fixture clears first)
    assert history[-1].agent == "api" and history[-1].version == any_store.data_version()
    assert history[-2].added == any_store.triple_count() - 1 and history[-1].added is None
    assert any_store.ask("ASK { GRAPH <https://w3id.org/clusterkg/graph/history> { ?a a <http://www.w3.org/ns/prov#Activity> } }")
