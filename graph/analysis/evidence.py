"""The evidence beside the projection: who worked with whom, how claims are known, related industries.

The projection (``graph/projection.py``) holds what the analyses score; this module reads, with a
few SPARQL queries over the same store and at the same moment (once per data version: the
projection keeps it in its ``evidence`` field and rebuilds it on every refresh), the evidence
the answers cite:

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

from clusterkg.graph.reasons import N_, Reason, join, reason
from clusterkg.graph.store import KnowledgeStore
from clusterkg.ontology.namespace import CKG, sparql_prefixes

__all__ = ["BASIS", "BASIS_LABELS", "BASIS_WEIGHTS", "Evidence", "TrackRecord", "basis_label", "choose_template",
           "cluster_collaboration", "evidence_of", "load_evidence", "related_industry_profiles"]

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
    "same_as": "SELECT ?a ?b WHERE { ?a owl:sameAs ?b . ?a a ?t . ?b a ?t . FILTER(?t = <http://www.w3.org/ns/org#FormalOrganization>) }",
    "basis": "SELECT ?o ?c ?basis WHERE { ?o ckg:qualifiedCompetency ?q . ?q ckg:competency ?c ; ckg:claimBasis ?basis }",
    "relatedness": "SELECT ?a ?b ?percentile WHERE { ?r a ckg:IndustryRelatedness ; ckg:industry ?a, ?b ; "
                   "ckg:relatednessPercentile ?percentile . FILTER(STR(?a) < STR(?b)) }",
    "matches": "SELECT ?a ?relation ?b WHERE { ?a ?relation ?b . ?a a ckg:Industry . ?b a ckg:Industry . "
               "VALUES ?relation { skos:exactMatch skos:closeMatch skos:broadMatch skos:narrowMatch skos:relatedMatch } }",
}


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
    # affiliation, is not asked: it would cost a refresh seconds at European scale
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
    n_orgs, n_competencies, n_industries = len(p.organisations), len(p.competencies), len(p.industries)
    org_index, competency_index, industry_index = p.index("organisation"), p.index("competency"), p.index("industry")

    # projects
    project_iris = np.array(sorted(set(_column(f.get("projects"), "project").tolist())), dtype=object)
    project_index = {iri: i for i, iri in enumerate(project_iris)}
    years = np.full((len(project_iris), 2), -1, dtype=np.int64)
    parts = np.full(len(project_iris), "", dtype=object)
    for iri, start, end, part in zip(*(_column(f.get("projects"), c) for c in ("project", "start", "end", "part"))):
        i = project_index[iri]
        years[i, 0] = int(start[:4]) if start else -1
        years[i, 1] = int(end[:4]) if end else -1
        parts[i] = part or parts[i]

    # sameAs: a record's rows are folded into the curated organisation's
    same_as = np.full(n_orgs, -1, dtype=np.int64)
    curated = {iri for iri in p.organisations["iri"].tolist() if "/id/org/pic-" not in iri}  # not a funding record
    for a, b in zip(_column(f.get("same_as"), "a"), _column(f.get("same_as"), "b")):
        if a in curated and b in org_index and b not in curated:
            same_as[org_index[b]] = org_index[a]

    rows, cols, coordinator = [], [], []
    for o, project, role in zip(*(_column(f.get("participations"), c) for c in ("o", "project", "role"))):
        if o in org_index and project in project_index:
            rows.append(org_index[o])
            cols.append(project_index[project])
            coordinator.append(role == str(CKG.RoleCoordinator))
    rows_arr, cols_arr, coordinator_arr = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(coordinator, dtype=bool)
    linked = same_as[rows_arr] >= 0 if len(rows_arr) else np.array([], dtype=bool)
    all_rows = np.concatenate([rows_arr, same_as[rows_arr[linked]]]) if len(rows_arr) else rows_arr
    all_cols = np.concatenate([cols_arr, cols_arr[linked]]) if len(rows_arr) else cols_arr
    all_coord = np.concatenate([coordinator_arr, coordinator_arr[linked]]) if len(rows_arr) else coordinator_arr
    shape = (n_orgs, len(project_iris))
    org_project = _binary(all_rows, all_cols, shape)
    coordinated = _binary(all_rows[all_coord], all_cols[all_coord], shape)

    # claim bases
    rows, cols, codes = [], [], []
    for o, c, basis in zip(*(_column(f.get("basis"), x) for x in ("o", "c", "basis"))):
        if o in org_index and c in competency_index and basis in BASIS_TERMS:
            rows.append(org_index[o])
            cols.append(competency_index[c])
            codes.append(BASIS_TERMS[basis] + 1)
    claim_basis = sp.coo_matrix((np.array(codes, dtype=np.int64), (rows, cols)), shape=(n_orgs, n_competencies)).tocsr()
    if claim_basis.nnz:  # two claims of one competency: the best-known basis (the lowest code above 0)
        claim_basis = sp.coo_matrix((codes, (rows, cols)), shape=(n_orgs, n_competencies))
        frame = pd.DataFrame({"r": claim_basis.row, "c": claim_basis.col, "v": claim_basis.data}).groupby(["r", "c"], as_index=False)["v"].min()
        claim_basis = sp.csr_matrix((frame["v"].to_numpy(), (frame["r"].to_numpy(), frame["c"].to_numpy())), shape=(n_orgs, n_competencies))
    direct = (p.org_competency > 0).astype(np.int64)
    unspecified = direct - (claim_basis > 0).multiply(direct)
    claim_basis = (claim_basis.multiply(direct) + unspecified).tocsr()  # code 1 = unspecified
    claim_basis.eliminate_zeros()

    # industry relatedness
    pairs: dict[tuple[int, int], float] = {}
    for a, b, percentile in zip(*(_column(f.get("relatedness"), c) for c in ("a", "b", "percentile"))):
        if a in industry_index and b in industry_index:
            key = (industry_index[a], industry_index[b])
            if float(percentile) >= RELATED_PERCENTILE:
                pairs[key] = max(pairs.get(key, 0.0), float(percentile) / 100.0)
    for a, relation, b in zip(*(_column(f.get("matches"), c) for c in ("a", "relation", "b"))):
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
    return Evidence(org_project, coordinated, project_iris, years, parts, same_as, claim_basis, related)


def _binary(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


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
