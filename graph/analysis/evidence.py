"""The evidence beside the projection: who worked with whom, how claims are known, related industries.

The projection (``graph/projection.py``) holds what the analyses score; this module reads, with a
few SPARQL queries over the same store and at the same moment (once per data version: the
projection keeps it in its ``evidence`` field; a refresh of the projection re-reads only the
evidence its change touched, see :func:`refresh_evidence`), the evidence the answers cite:

- **Project participation** (CORDIS Horizon 2020, ``ckg:Participation``): organisations ×
  projects, which participations were as coordinator, each project's years and programme part.
  A curated organisation linked to a funding record (``owl:sameAs``) takes that record's
  participations as its own; the record is then the *same* organisation
  (:attr:`Evidence.same_as`), never a separate candidate.
- **Co-participation** is derived, never stored: two organisations in one project worked
  together then (:meth:`Evidence.track_record`, :func:`cluster_collaboration`).
- **How a competency claim is known** (``ckg:claimBasis`` on a ``ckg:CompetencyClaim``):
  ``stated`` (its source says the organisation does it), ``cluster_specialisation`` (inferred
  from the specialisation of a cluster it belongs to), ``programme_specialisation`` (from the
  specialisation of a programme it is funded by), ``project_participation`` (from projects it
  took part in). A claim without a basis counts as ``unspecified``. :data:`BASIS_WEIGHTS` is
  how much each one is trusted when ranking.
- **Industry relatedness**: industries × industries in [0, 1] — the relatedness the US Cluster
  Mapping Project publishes between its categories (``ckg:IndustryRelatedness``, by percentile)
  and the SKOS mappings between schemes (exact/close 1, broad/narrow 0.75, related 0.5).
  Pairs in the top 10% of the project's relatedness count (:data:`RELATED_PERCENTILE`), with
  their percentile as weight. :func:`related_industry_profiles` widens each cluster's industries
  by it, so a US cluster of the category "Biopharmaceuticals" meets a European cluster of the
  industrial ecosystem "Health".

>>> from clusterkg.graph.store import OxigraphStore
>>> from clusterkg.graph.projection import build_projection
>>> projection = build_projection(OxigraphStore())
>>> evidence = evidence_of(projection)
>>> evidence.org_project.shape[1], evidence.claim_basis.nnz
(0, 0)
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from clusterkg.graph.projection import FETCH_THREADS, _Sorted, _fetch, _fetch_any, _hash
from clusterkg.graph.projection_refresh import _Renumbering, _only_rows, _patched, _present
from clusterkg.graph.reasons import N_, Reason, join, reason
from clusterkg.graph.store import KnowledgeStore
from clusterkg.ontology.namespace import CKG, sparql_prefixes

__all__ = ["BASIS", "BASIS_LABELS", "BASIS_WEIGHTS", "Evidence", "TrackRecord", "basis_label", "choose_template",
           "cluster_collaboration", "evidence_of", "load_evidence", "refresh_evidence", "related_industry_profiles"]

#: the claim bases, in the order of their codes in :attr:`Evidence.claim_basis` (0 = no claim)
BASIS = ("unspecified", "stated", "cluster_specialisation", "programme_specialisation", "project_participation")
BASIS_TERMS = {str(CKG.BasisStated): 1, str(CKG.BasisClusterSpecialisation): 2,
               str(CKG.BasisProgrammeSpecialisation): 3, str(CKG.BasisProjectParticipation): 4}
#: how a claim of each basis is worded in a why-line
BASIS_LABELS = {"unspecified": N_("claimed"), "stated": N_("stated by its source"),
                "cluster_specialisation": N_("inferred from its cluster's specialisation"),
                "programme_specialisation": N_("inferred from its programme's specialisation"),
                "project_participation": N_("inferred from its project participation")}


def basis_label(basis: str) -> Reason:
    """How a claim of ``basis`` is worded in a why-line, ready to translate."""
    return reason(BASIS_LABELS[basis])


#: how far a claim of each basis is trusted: a source that says it outweighs an inference
#: (a claim without a basis is taken as its source's word, as the sheets' rule has always been)
BASIS_WEIGHTS = {"unspecified": 1.0, "stated": 1.0, "cluster_specialisation": 0.6,
                 "programme_specialisation": 0.6, "project_participation": 0.8}
#: US Cluster Mapping pairs below this percentile of relatedness are not counted as related
RELATED_PERCENTILE = 90.0
_MATCH_WEIGHTS = {"exactMatch": 1.0, "closeMatch": 1.0, "broadMatch": 0.75, "narrowMatch": 0.75, "relatedMatch": 0.5}

_PREFIXES = sparql_prefixes("ckg", "schema", "skos", "owl")
QUERIES = {
    # one pattern each, joined in pandas: pyoxigraph answers these 3-4 times faster than the join
    "participation_projects": "SELECT ?x ?project WHERE { ?x ckg:project ?project }",
    "participation_organisations": "SELECT ?x ?o WHERE { ?x ckg:organisation ?o }",
    "participation_roles": "SELECT ?x ?role WHERE { ?x ckg:participationRole ?role }",
    "projects": "SELECT ?project ?start ?end ?part WHERE { ?project a ckg:Project . OPTIONAL { ?project schema:startDate ?start } "
                "OPTIONAL { ?project schema:endDate ?end } OPTIONAL { ?project ckg:programmePart ?part } }",
    # that both ends are organisations is checked against the projection's rows, not asked
    "same_as": "SELECT ?a ?b WHERE { ?a owl:sameAs ?b }",
    # starts from the claim bases, which are few, not from every claim: at European scale (1.2M
    # claims, none with a basis) 0.00 s of CPU against 7.3 s for the join that starts from the claims
    "basis": "SELECT ?o ?c ?basis WHERE { ?q ckg:claimBasis ?basis . ?q ckg:competency ?c . ?o ckg:qualifiedCompetency ?q }",
    "relatedness": "SELECT ?r ?a ?b ?percentile WHERE { ?r a ckg:IndustryRelatedness ; ckg:industry ?a, ?b ; "
                   "ckg:relatednessPercentile ?percentile . FILTER(STR(?a) < STR(?b)) }",
    "matches": "SELECT ?a ?relation ?b WHERE { ?a ?relation ?b . ?a a ckg:Industry . ?b a ckg:Industry . "
               "VALUES ?relation { skos:exactMatch skos:closeMatch skos:broadMatch skos:narrowMatch skos:relatedMatch } }",
}
"""The evidence of a full build, each over the whole store."""

_OWL_SAME_AS = "<http://www.w3.org/2002/07/owl#sameAs>"
REFRESH_QUERIES = {
    # which changed resources are projects or relatedness records now
    "kinds": "SELECT ?s ?kind_code WHERE { %(values)s VALUES (?t ?kind_code) { (ckg:Project 0) (ckg:IndustryRelatedness 1) } ?s a ?t }",
    "participations": "SELECT ?x ?o ?project ?role WHERE { %(values)s ?x ckg:project ?project ; ckg:organisation ?o "
                      "OPTIONAL { ?x ckg:participationRole ?role } }",
    "projects": "SELECT ?project ?start ?end ?part WHERE { %(values)s ?project a ckg:Project . OPTIONAL { ?project schema:startDate ?start } "
                "OPTIONAL { ?project schema:endDate ?end } OPTIONAL { ?project ckg:programmePart ?part } }",
    "same_as": "SELECT ?a ?b WHERE { %(values)s ?a " + _OWL_SAME_AS + " ?b }",
    "basis": "SELECT ?o ?c ?basis WHERE { %(values)s ?o ckg:qualifiedCompetency ?q . ?q ckg:competency ?c ; ckg:claimBasis ?basis }",
}
"""A refresh's queries, each restricted by a VALUES block (``%(values)s``) to what a change touched
(see :func:`refresh_evidence`); they name no prefix the projection's queries do not declare."""

@dataclass(frozen=True)
class TrackRecord:
    """What one organisation did with some others: "worked with 2 of your members in 3 projects"."""

    partners: tuple[int, ...]  # organisation rows it worked with
    projects: tuple[int, ...]  # project columns
    first_year: int | None
    last_year: int | None
    coordinated: int  # of those projects, how many it coordinated

    @property
    def strength(self) -> float:
        """In [0, 1): more shared projects and more of the others worked with say more."""
        return float(1.0 - np.exp(-(len(self.projects) + len(self.partners)) / 4.0))

    def to_json(self, p) -> dict:
        return {"members": [_org(p, o) for o in self.partners], "projects": len(self.projects),
                "first_year": self.first_year, "last_year": self.last_year, "coordinated": self.coordinated,
                "strength": round(self.strength, 6)}

    def why(self, whom: str | Reason | None = None) -> Reason:
        """``worked with 2 of your members in 3 H2020 projects (2016–2019), coordinated 1``."""
        n, k = len(self.partners), len(self.projects)
        whom = reason(N_("your members")) if whom is None else whom
        if self.first_year is None:
            years = ""
        elif self.first_year == self.last_year:
            years = reason(N_(" (%(year)s)"), year=str(self.first_year))
        else:
            years = reason(N_(" (%(first)s–%(last)s)"), first=str(self.first_year), last=str(self.last_year))
        message = N_("worked with %(count)s of %(whom)s in %(projects)s H2020 project%(years)s") if k == 1 \
            else N_("worked with %(count)s of %(whom)s in %(projects)s H2020 projects%(years)s")
        text = reason(message, count=n, whom=whom, projects=k, years=years)
        return join([text, reason(N_("coordinated %(count)s"), count=self.coordinated) if self.coordinated else ""], ", ")


@dataclass
class Evidence:
    """The evidence of one data version; see the module docstring. Rows follow the projection."""

    org_project: sp.csr_matrix  # organisations × projects: 1 = took part (own or linked record)
    coordinated: sp.csr_matrix  # organisations × projects: 1 = as coordinator
    project_iris: np.ndarray
    project_years: np.ndarray  # (n, 2) start and end year, -1 where unknown
    project_parts: np.ndarray  # IRI of the programme part, "" where unknown
    same_as: np.ndarray  # per organisation: the row of the curated organisation it is the record of, or -1
    claim_basis: sp.csr_matrix  # organisations × competencies: code in BASIS of a direct claim
    industry_related: sp.csr_matrix  # industries × industries in [0, 1], symmetric, 0 on the diagonal
    # what a refresh needs to find the rows a change touches (None in evidence made before it kept them):
    # one row per participation: key (hash of its IRI), organisation (row, its own record), project, coordinator
    participations: pd.DataFrame | None = None
    relatedness_keys: np.ndarray | None = None  # sorted hashes of the IRIs of the relatedness records

    def track_record(self, organisation: int, others: np.ndarray) -> TrackRecord | None:
        """Projects ``organisation`` shared with any of ``others`` (rows); None when none."""
        if not self.org_project.shape[1] or not len(others):
            return None
        mine = self.org_project.indices[self.org_project.indptr[organisation]:self.org_project.indptr[organisation + 1]]
        if not len(mine):
            return None
        others = np.asarray(others, dtype=np.int64)
        block = self.org_project[others][:, mine].tocoo()
        if not block.nnz:
            return None
        worked = np.unique(others[block.row])
        shared = np.unique(mine[block.col])
        years = self.project_years[shared]
        known = years[years >= 0]
        coordinated = int(self.coordinated[organisation][:, shared].sum())
        return TrackRecord(tuple(int(o) for o in worked), tuple(int(x) for x in shared),
                           int(known.min()) if len(known) else None, int(known.max()) if len(known) else None,
                           coordinated)

    def basis_of(self, organisation: int, competency: int) -> str | None:
        """The basis of the organisation's direct claim of ``competency``; None without one."""
        code = self.claim_basis[organisation, competency]
        return BASIS[int(code) - 1] if code else None


def _org(p, o: int) -> dict:
    return {"iri": p.organisations["iri"].iat[o], "id": p.organisations["id"].iat[o], "label": p.organisations["label"].iat[o]}


def load_evidence(store: KnowledgeStore, projection) -> Evidence:
    """Read the evidence of ``store`` for ``projection`` (same data version)."""
    # without participations (a synthetic graph) the organisation query, which also answers every
    # affiliation, is not asked: it would cost seconds at European scale
    participations = _select(store, QUERIES["participation_projects"])
    asked = [name for name in QUERIES if name != "participation_projects"
             and (len(participations) or not name.startswith("participation_"))]
    with ThreadPoolExecutor(max_workers=2) as pool:  # pyoxigraph releases the GIL while it answers
        futures = {name: pool.submit(_select, store, QUERIES[name]) for name in asked}
        frames = {name: future.result() for name, future in futures.items()}
    if len(participations):
        frames["participations"] = (participations.merge(frames.pop("participation_organisations"), on="x")
                                    .merge(frames.pop("participation_roles"), on="x", how="left").fillna(""))
    return _assemble(projection, frames)


def evidence_of(projection) -> Evidence:
    """The projection's evidence (empty where it was built without a store, e.g. by hand)."""
    evidence = getattr(projection, "evidence", None)
    if evidence is not None:
        return evidence
    return projection.cached("evidence.empty", lambda: _assemble(projection, dict.fromkeys(QUERIES)))


def _select(store: KnowledgeStore, query: str) -> pd.DataFrame:
    """The answer as strings ("" where unbound), read as CSV: 20,000 rows in ~0.1 s."""
    data = store.query_bytes(_PREFIXES + query, "text/csv")
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")


def _column(frame: pd.DataFrame | None, name: str) -> np.ndarray:
    if frame is None or not len(frame):
        return np.array([], dtype=object)
    return frame[name].fillna("").to_numpy(dtype=object)


def _assemble(p, f: dict) -> Evidence:
    organisations, competencies = _Sorted(p.organisations["iri"]), _Sorted(p.competencies["iri"])
    project_iris, years, parts = _projects(f.get("projects"))
    same_as = _same_as(np.full(len(organisations), -1, dtype=np.int64), f.get("same_as"), organisations)
    participations = _participation_table(f.get("participations"), organisations, _Sorted(project_iris))
    org_project, coordinated = _org_project(participations, same_as, len(project_iris))
    claim_basis = _claim_basis(f.get("basis"), organisations, competencies, p.org_competency)
    related, relatedness_keys = _relatedness(f.get("relatedness"), f.get("matches"), p)
    return Evidence(org_project, coordinated, project_iris, years, parts, same_as, claim_basis, related,
                    participations, relatedness_keys)


def _projects(frame: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted project IRIs, their start and end years (-1 where unknown), their programme parts."""
    project_iris = np.array(sorted(set(_column(frame, "project").tolist())), dtype=object)
    index = _Sorted(project_iris)
    years = np.full((len(project_iris), 2), -1, dtype=np.int64)
    parts = np.full(len(project_iris), "", dtype=object)
    for iri, start, end, part in zip(*(_column(frame, c) for c in ("project", "start", "end", "part"))):
        i = index[iri]
        years[i, 0] = int(start[:4]) if start else -1
        years[i, 1] = int(end[:4]) if end else -1
        parts[i] = part or parts[i]
    return project_iris, years, parts


def _curated(iris: np.ndarray) -> np.ndarray:
    """Which organisations are curated, not a funding record (``.../id/org/pic-...``)."""
    return ~pd.Series(iris, dtype=object).str.contains("/id/org/pic-", regex=False).to_numpy(dtype=bool)


def _same_as(same_as: np.ndarray, frame: pd.DataFrame | None, organisations: _Sorted) -> np.ndarray:
    """``same_as`` (per organisation: the curated organisation whose record it is, or -1) with
    the ``owl:sameAs`` links of ``frame`` added; where a record has several, the first row."""
    a, b = organisations.get_indexer(_column(frame, "a")), organisations.get_indexer(_column(frame, "b"))
    keep = (a >= 0) & (b >= 0)
    a, b = a[keep], b[keep]
    keep = _curated(organisations.iris[a]) & ~_curated(organisations.iris[b])
    if keep.any():
        none = np.iinfo(np.int64).max
        result = np.where(same_as >= 0, same_as, none)
        np.minimum.at(result, b[keep], a[keep])
        same_as = np.where(result == none, -1, result)
    return same_as


def _participation_table(frame: pd.DataFrame | None, organisations: _Sorted, projects: _Sorted) -> pd.DataFrame:
    """One row per participation of a known organisation in a known project (see :attr:`Evidence.participations`)."""
    rows, cols = organisations.get_indexer(_column(frame, "o")), projects.get_indexer(_column(frame, "project"))
    keep = (rows >= 0) & (cols >= 0)
    return pd.DataFrame({"key": _hash(_column(frame, "x")[keep]), "organisation": rows[keep], "project": cols[keep],
                         "coordinator": _column(frame, "role")[keep] == str(CKG.RoleCoordinator)})


def _org_project(participations: pd.DataFrame, same_as: np.ndarray, n_projects: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Organisations × projects, as participant and as coordinator; a record's rows also count
    for the curated organisation it is linked to."""
    rows = participations["organisation"].to_numpy(dtype=np.int64)
    cols = participations["project"].to_numpy(dtype=np.int64)
    coordinator = participations["coordinator"].to_numpy(dtype=bool)
    linked = same_as[rows] >= 0
    rows, cols = np.concatenate([rows, same_as[rows[linked]]]), np.concatenate([cols, cols[linked]])
    coordinator = np.concatenate([coordinator, coordinator[linked]])
    shape = (len(same_as), n_projects)
    return _binary(rows, cols, shape), _binary(rows[coordinator], cols[coordinator], shape)


def _claim_basis(frame: pd.DataFrame | None, organisations: _Sorted, competencies: _Sorted, claims: sp.csr_matrix) -> sp.csr_matrix:
    """Organisations × competencies: the code in :data:`BASIS` of each claim of ``claims``
    (1 = unspecified); where two claims of one competency differ, the best-known basis."""
    rows, cols = organisations.get_indexer(_column(frame, "o")), competencies.get_indexer(_column(frame, "c"))
    codes = pd.Series(_column(frame, "basis"), dtype=object).map(BASIS_TERMS).fillna(-1).to_numpy(dtype=np.int64) + 1
    keep = (rows >= 0) & (cols >= 0) & (codes > 0)
    shape = claims.shape
    stated = sp.csr_matrix(shape, dtype=np.int64)
    if keep.any():
        lowest = (pd.DataFrame({"r": rows[keep], "c": cols[keep], "v": codes[keep]})
                  .groupby(["r", "c"], as_index=False)["v"].min())
        stated = sp.csr_matrix((lowest["v"].to_numpy(), (lowest["r"].to_numpy(), lowest["c"].to_numpy())), shape=shape)
    direct = (claims > 0).astype(np.int64)
    unspecified = direct - (stated > 0).multiply(direct)
    claim_basis = (stated.multiply(direct) + unspecified).tocsr()
    claim_basis.eliminate_zeros()
    return claim_basis


def _relatedness(relatedness: pd.DataFrame | None, matches: pd.DataFrame | None, p) -> tuple[sp.csr_matrix, np.ndarray]:
    """Industries × industries (see the module docstring), and the hashes of the relatedness records' IRIs."""
    industry_index, n_industries = p.index("industry"), len(p.industries)
    pairs: dict[tuple[int, int], float] = {}
    for a, b, percentile in zip(*(_column(relatedness, c) for c in ("a", "b", "percentile"))):
        if a in industry_index and b in industry_index:
            key = (industry_index[a], industry_index[b])
            if float(percentile) >= RELATED_PERCENTILE:
                pairs[key] = max(pairs.get(key, 0.0), float(percentile) / 100.0)
    for a, relation, b in zip(*(_column(matches, c) for c in ("a", "relation", "b"))):
        if a in industry_index and b in industry_index and a != b:
            key = (industry_index[a], industry_index[b])
            pairs[key] = max(pairs.get(key, 0.0), _MATCH_WEIGHTS[relation.rsplit("#", 1)[-1]])
    keys = list(pairs)
    r = np.array([k[0] for k in keys] + [k[1] for k in keys], dtype=np.int64)
    c = np.array([k[1] for k in keys] + [k[0] for k in keys], dtype=np.int64)
    v = np.array([pairs[k] for k in keys] * 2, dtype=np.float64)
    related = sp.coo_matrix((v, (r, c)), shape=(n_industries, n_industries)).tocsr()
    related.sum_duplicates()
    if related.nnz:
        related.data = np.minimum(related.data, 1.0)
    return related, np.unique(_hash(_column(relatedness, "r")))


def _binary(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


# ---------------------------------------------------------------------------------------------
# Refreshing after a small change
#
# The projection's refresh (``graph/projection_refresh.py``) knows which organisations and
# competencies a change touched and how rows moved. The evidence follows it: the claim bases of
# the touched rows and columns are read again and patched in, like the claims; participations
# are kept as a table keyed by the hash of each participation's IRI, so those of changed
# participations, touched organisations and changed projects are dropped and read again; the
# ``owl:sameAs`` links of touched organisations are read again; the industry relatedness, a few
# thousand pairs at most, is read again whole when the industries or a relatedness record changed.
# Everything else is carried over, renumbered.


def refresh_evidence(store: KnowledgeStore, earlier: Evidence | None, p, changed: list[str], organisations,
                     competencies, vocabulary_changed: bool) -> Evidence:
    """The evidence of ``p`` (a refreshed projection) from the ``earlier`` projection's evidence.

    ``changed``: the changed IRIs; ``organisations``, ``competencies``: the refresh's
    renumberings (old rows to new, and which new rows it read again); ``vocabulary_changed``:
    competencies or industries changed. Equals :func:`load_evidence` of the store (tests check
    it field by field); evidence of an older layout is read again whole.
    """
    if earlier is None or earlier.participations is None or earlier.relatedness_keys is None:
        return load_evidence(store, p)
    o_touched = organisations.new[organisations.touched].tolist()
    k_touched = competencies.new[competencies.touched].tolist()
    changed_keys = _hash(np.array(changed, dtype=object))
    # the links of touched records are read again, and those of records whose curated organisation is touched or gone
    moved = organisations.moved()
    touched_or_gone = _flags(len(organisations.new), organisations.touched)  # by new row; -1 (gone) flagged
    records = np.flatnonzero(earlier.same_as >= 0)  # old rows
    relink = touched_or_gone[moved[records]] | touched_or_gone[moved[earlier.same_as[records]]]
    relinked = organisations.old[records[relink]].tolist()
    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        kinds_future = pool.submit(_fetch, store, "kinds", "s", changed, queries=REFRESH_QUERIES)
        basis = pool.submit(_fetch_any, store, "basis", [("o", o_touched), ("c", k_touched)], queries=REFRESH_QUERIES)
        same_as = pool.submit(_fetch_any, store, "same_as", [("a", o_touched), ("b", o_touched + relinked)],
                              queries=REFRESH_QUERIES)
        kinds = kinds_future.result()
        codes = kinds["kind_code"].to_numpy(dtype=np.int64)
        projects = _Renumbering.of(earlier.project_iris, set(kinds["s"][codes == 0]), _present(earlier.project_iris, changed))
        p_touched = projects.new[projects.touched].tolist()
        participations = pool.submit(_fetch_any, store, "participations", [("x", changed), ("o", o_touched), ("project", p_touched)],
                                     queries=REFRESH_QUERIES)
        fresh_projects = pool.submit(_fetch, store, "projects", "project", p_touched, queries=REFRESH_QUERIES) if p_touched else None
        relatedness_changed = (vocabulary_changed or bool((codes == 1).any())
                               or bool(np.isin(changed_keys, earlier.relatedness_keys).any()))
        if relatedness_changed:
            relatedness = {name: pool.submit(_select, store, QUERIES[name]) for name in ("relatedness", "matches")}
        f = {"basis": basis.result(), "same_as": same_as.result(), "participations": participations.result(),
             "projects": fresh_projects.result() if fresh_projects else None}
        if relatedness_changed:
            f.update({name: future.result() for name, future in relatedness.items()})

    o_index, k_index = _Sorted(organisations.new), _Sorted(competencies.new)
    direct = _rows_or_columns(p.org_competency, organisations.touched, competencies.touched)
    claim_basis = _patched(earlier.claim_basis, organisations, competencies, _claim_basis(f["basis"], o_index, k_index, direct))

    kept_links = np.full(len(organisations.new), -1, dtype=np.int64)
    kept = records[~relink]
    kept_links[moved[kept]] = moved[earlier.same_as[kept]]
    same_as_rows = _same_as(kept_links, f["same_as"], o_index)

    project_iris, years, parts = _carried_projects(earlier, projects, f["projects"])
    table = earlier.participations
    organisation = moved[table["organisation"].to_numpy(dtype=np.int64)]
    project = projects.moved()[table["project"].to_numpy(dtype=np.int64)]
    gone = (touched_or_gone[organisation] | _flags(len(projects.new), projects.touched)[project]
            | np.isin(table["key"].to_numpy(), changed_keys))
    participation_table = pd.concat([table[~gone].assign(organisation=organisation[~gone], project=project[~gone]),
                                     _participation_table(f["participations"], o_index, _Sorted(project_iris))],
                                    ignore_index=True)
    org_project, coordinated = _org_project(participation_table, same_as_rows, len(project_iris))

    if relatedness_changed:
        related, relatedness_keys = _relatedness(f["relatedness"], f["matches"], p)
    else:
        related, relatedness_keys = earlier.industry_related, earlier.relatedness_keys
    return Evidence(org_project, coordinated, project_iris, years, parts, same_as_rows, claim_basis, related,
                    participation_table, relatedness_keys)


def _flags(n: int, rows: np.ndarray) -> np.ndarray:
    """``n + 1`` booleans, True at ``rows`` and at the last (so row -1, gone, is flagged too)."""
    flags = np.zeros(n + 1, dtype=bool)
    flags[rows] = True
    flags[-1] = True
    return flags


def _rows_or_columns(matrix: sp.csr_matrix, rows: np.ndarray, columns: np.ndarray) -> sp.csr_matrix:
    """1 where ``matrix`` has an entry in ``rows`` or ``columns`` (the rest empty)."""
    result = (_only_rows(matrix, rows) > 0).astype(np.int64)
    if len(columns):
        mask = np.zeros(matrix.shape[1], dtype=np.int64)
        mask[columns] = 1
        result = result.maximum((matrix > 0).astype(np.int64).multiply(mask[None, :]).tocsr())
    return result.tocsr()


def _carried_projects(earlier: Evidence, projects, frame: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The projects after a change: earlier rows renumbered, those read again filled in."""
    take = projects.take()
    known = take >= 0
    years = np.full((len(projects.new), 2), -1, dtype=np.int64)
    parts = np.full(len(projects.new), "", dtype=object)
    years[known], parts[known] = earlier.project_years[take[known]], earlier.project_parts[take[known]]
    fresh_iris, fresh_years, fresh_parts = _projects(frame)
    rows = _Sorted(projects.new).get_indexer(fresh_iris)
    years[rows], parts[rows] = fresh_years, fresh_parts
    return np.asarray(projects.new, dtype=object), years, parts


def cluster_collaboration(p) -> sp.csr_matrix:
    """Clusters × clusters: how many H2020 projects members of the two shared (0 on the diagonal)."""
    def make() -> sp.csr_matrix:
        evidence = evidence_of(p)
        ties = (p.cluster_org > 0).astype(np.float64)
        cluster_project = ties @ evidence.org_project
        cluster_project.data[:] = 1.0
        shared = (cluster_project @ cluster_project.T).tocsr()
        shared.setdiag(0)
        shared.eliminate_zeros()
        return shared
    return p.cached("evidence.cluster_collaboration", make)


def related_industry_profiles(p) -> sp.csr_matrix:
    """Clusters × industries: each cluster's industries plus the industries related to them
    (weighted by relatedness), times the industry weights (rare industries say more), unit rows.

    Products of rows are cosines: how close two clusters are by what they are, whatever scheme
    each was described in.
    """
    from clusterkg.graph.analysis.profiles import cluster_industry_matrix, industry_weights, unit_rows

    def make() -> sp.csr_matrix:
        own = cluster_industry_matrix(p)
        related = evidence_of(p).industry_related
        widened = own + own @ related
        widened.data = np.minimum(widened.data, 1.0)
        return unit_rows(widened.multiply(industry_weights(p)[None, :]))
    return p.cached("evidence.related_industry_profiles", make)


#: the least cosine between a cluster's (widened) industries and a template's for it to be chosen;
#: on the bundled data the fitting template scores 0.17-0.27 (semiconductors for Silicon Saxony,
#: Cool Silicon and Minalogic 0.18-0.19, aircraft MRO for Hamburg Aviation 0.22)
MIN_TEMPLATE_FIT = 0.15


def choose_template(p, cluster: int):
    """The bundled value-chain template that fits the cluster's industries best, with its fit;
    ``(None, 0.0)`` when none fits (cosine below :data:`MIN_TEMPLATE_FIT`).

    A template's industries are those its required competencies are applied in (``ckg:appliedIn``),
    weighted by the requirement weights.
    """
    from clusterkg.graph.analysis.profiles import industry_weights, unit_rows
    from clusterkg.graph.analysis.templates import list_templates

    def make():
        competency_index = {c: i for i, c in enumerate(p.competencies["id"])}
        industry_index = p.index("industry")
        templates, rows, cols, values = [], [], [], []
        for template in list_templates():
            for requirement in template.requirements:
                k = competency_index.get(requirement.competency)
                if k is None:
                    continue
                for iri in p.competencies["industries"].iat[k]:
                    if iri in industry_index:
                        rows.append(len(templates))
                        cols.append(industry_index[iri])
                        values.append(requirement.weight)
            templates.append(template)
        matrix = sp.csr_matrix((values, (rows, cols)), shape=(len(templates), len(p.industries)))
        return templates, unit_rows(matrix.multiply(industry_weights(p)[None, :]))
    templates, profiles = p.cached("evidence.template_industries", make)
    if not templates:
        return None, 0.0
    fit = np.asarray((profiles @ related_industry_profiles(p)[cluster].T).todense()).ravel()
    best = int(np.argmax(fit))
    return (templates[best], float(fit[best])) if fit[best] >= MIN_TEMPLATE_FIT else (None, 0.0)
