"""Entity resolution on real pairs: curated organisations against CORDIS records as CORDIS
writes them (names, cities and countries from the Horizon 2020 organisation list)."""

from __future__ import annotations

import pytest

from clusterkg.graph.ingest.resolve import (
    Curated,
    Record,
    abbreviations,
    find_matches,
    match_triples,
    normalise_name,
    read_decisions,
)
from clusterkg.graph.problems import ValidationFailed
from clusterkg.ontology.namespace import OWL


def record(pic, name, country, city, short=""):
    return Record("cordis-h2020", pic, name, f"https://w3id.org/clusterkg/id/org/pic-{pic}",
                  f"https://example.org/{pic}", short, country, city)


RECORDS = [
    record("999897729", "TECHNISCHE UNIVERSITAET DRESDEN", "DE", "DRESDEN", "TUD"),
    record("999986581", "TECHNISCHE UNIVERSITAT DARMSTADT", "DE", "DARMSTADT", "TU DARMSTADT"),
    record("967310482", "X-FAB Dresden GmbH & Co. KG", "DE", "DRESDEN"),
    record("996493902", "NESTE OYJ", "FI", "Espoo"),
    record("953556755", "SIEMENS SRL", "RO", "BUCURESTI"),
    record("999990073", "DEUTSCHES KREBSFORSCHUNGSZENTRUM", "DE", "HEIDELBERG", "DKFZ"),
    record("999909175", "STMICROELECTRONICS S.A.", "FR", "MONTROUGE"),
    record("999977657", "STMICROELECTRONICS SRL", "IT", "AGRATE BRIANZA"),
]
CURATED = [
    Curated("technische-universitat-dresden", "Technische Universität Dresden", "DE", "Dresden"),
    Curated("x-fab-dresden", "X-FAB Dresden", "DE", "Dresden"),
    Curated("nestle", "Nestlé", "CH", ""),
    Curated("siemens", "Siemens", "DE", ""),
    Curated("german-cancer-research-center-dkfz", "German Cancer Research Center (DKFZ)", "DE", "Heidelberg"),
    Curated("stmicroelectronics", "STMicroelectronics", "", ""),
]


def by_pair(candidates):
    return {(c.curated.id, c.record.id): c for c in candidates}


def test_true_pairs_are_linked_automatically():
    found = by_pair(find_matches(CURATED, RECORDS))
    assert found[("technische-universitat-dresden", "999897729")].status == "automatic"
    assert found[("x-fab-dresden", "967310482")].status == "automatic"


def test_false_pairs_are_never_linked():
    found = by_pair(find_matches(CURATED, RECORDS))
    assert not found[("technische-universitat-dresden", "999986581")].linked  # another university
    assert not found[("nestle", "996493902")].linked  # Neste, not Nestlé
    assert not found[("siemens", "953556755")].linked  # a subsidiary in another country
    assert "country differs (DE vs RO)" in found[("siemens", "953556755")].evidence


def test_several_equally_good_records_go_to_review():
    found = by_pair(find_matches(CURATED, RECORDS))
    assert {found[("stmicroelectronics", pic)].status for pic in ("999909175", "999977657")} == {"review"}


def test_an_abbreviation_is_evidence_for_review_not_a_link():
    found = by_pair(find_matches(CURATED, RECORDS))
    dkfz = found[("german-cancer-research-center-dkfz", "999990073")]
    assert dkfz.status == "review" and "abbreviation equals short name" in dkfz.evidence


def test_curated_decisions_confirm_and_reject():
    decisions = {
        ("german-cancer-research-center-dkfz", "cordis-h2020", "999990073"): "confirm",
        ("x-fab-dresden", "cordis-h2020", "967310482"): "reject",
        ("siemens", "cordis-h2020", "999897729"): "confirm",  # not a candidate at all: linked because a curator says so
    }
    found = by_pair(find_matches(CURATED, RECORDS, decisions))
    assert found[("german-cancer-research-center-dkfz", "999990073")].status == "confirmed"
    assert found[("x-fab-dresden", "967310482")].status == "rejected"
    assert found[("siemens", "999897729")].status == "confirmed"


def test_only_linked_pairs_become_same_as_links():
    candidates = find_matches(CURATED, RECORDS)
    triples = match_triples(candidates)
    same_as = {(t.subject.value, t.object.value) for t in triples if t.predicate.value == str(OWL.sameAs)}
    assert ("https://w3id.org/clusterkg/id/org/technische-universitat-dresden",
            "https://w3id.org/clusterkg/id/org/pic-999897729") in same_as
    assert len(same_as) == sum(1 for c in candidates if c.linked) == 2


def test_normalisation():
    assert normalise_name("TECHNISCHE UNIVERSITAET DRESDEN") == normalise_name("Technische Universität Dresden")
    assert normalise_name("Novo Nordisk A/S") == "novo nordisk"
    assert normalise_name("SAFRAN S.A.") == "safran"
    assert abbreviations("Hamburg University of Technology (TUHH)") == {"tuhh"}


def test_a_bad_decision_row_is_located(tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_text("organisation,dataset,record_id,decision,note\nnestle,cordis-h2020,996493902,maybe,\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="decisions.csv: row 2: decision: expected confirm or reject, got 'maybe'"):
        read_decisions(path)


def test_the_shipped_decisions_name_curated_organisations_and_review_rows():
    from clusterkg.graph.ingest.sources import curated_organisations, decisions_path

    decisions = read_decisions(decisions_path())
    ids = {o.id for o in curated_organisations()}
    assert decisions and {key[0] for key in decisions} <= ids


def test_a_cluster_matches_a_cluster_and_an_organisation_only_through_the_match_node():
    cmp_records = [
        Record("us-cluster-mapping", "999", "BIOCOM", "https://w3id.org/clusterkg/id/cluster/us-cmp-999",
               "https://example.org/cmp", country="US", kind="cluster"),
        Record("us-cluster-mapping", "998", "The Water Council", "https://w3id.org/clusterkg/id/cluster/us-cmp-998",
               "https://example.org/cmp", country="US", kind="cluster"),
    ]
    curated = [Curated("biocom", "Biocom (California)", "US", "San Diego", kind="cluster"),
               Curated("the-water-council", "The Water Council", "US", "")]
    candidates = find_matches(curated, cmp_records)
    assert {c.curated.key: c.status for c in candidates} == {"cluster/biocom": "automatic", "the-water-council": "automatic"}
    triples = match_triples(candidates)
    same_as = {(t.subject.value, t.object.value) for t in triples if t.predicate.value == str(OWL.sameAs)}
    assert same_as == {("https://w3id.org/clusterkg/id/cluster/biocom", "https://w3id.org/clusterkg/id/cluster/us-cmp-999")}
    matched = {t.object.value for t in triples if t.predicate.value.endswith("#matchedRecord")}
    assert "https://w3id.org/clusterkg/id/cluster/us-cmp-998" in matched
