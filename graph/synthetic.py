"""Synthetic knowledge graphs of any size, for scale tests and benchmarks.

The real dataset has hundreds of organisations; the store, the analyses and the web app must
also work at world scale. This module writes graphs with the shape of the real data (the
contract in ``ontology/README.md``) and a realistic texture: clusters of lognormal size,
organisations in several clusters, Zipf-like competency popularity, a 2-3 level competency
hierarchy, competencies tied to industries and organisations whose competencies follow their
cluster's industries, so a gap analysis finds real gaps and partners who can fill them.

Everything generated lives in ``https://w3id.org/clusterkg/synthetic/{kind}/{id}`` (ids carry
the seed, so graphs of different seeds never share a node), every label starts with
``"Synthetic "``, and every node that needs a source points at the dataset node
``<https://w3id.org/clusterkg/synthetic/dataset/{seed}>`` (``ckg:synthetic true``). Countries
are synthetic too (named after real ISO 3166-1 codes, labelled "Synthetic Germany"), so the
invented cluster policies never attach to a real country. Only the industries (from
``data/sheets/industries.csv``) and their schemes are real IRIs; they are emitted too so the
graph stands on its own.

Output is N-Triples, streamed: at 300,000 organisations the graph has about 12 million
triples, far beyond what an rdflib ``Graph`` holds comfortably (see ``docs/design.md``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import BinaryIO

import numpy as np

from clusterkg.ontology.namespace import (CKG, DATA, DCAT, DCT, ORG, PROV, RDF, RDFS, SCHEMA,
                                          SKOS, SYNTHETIC, XSD)

__all__ = ["SyntheticSpec", "synthetic_triples", "write_synthetic", "SYNTHETIC_BASE"]

SYNTHETIC_BASE = str(SYNTHETIC)
_ID_BASE = str(DATA)

# --- Term IRIs, looked up in closed namespaces so a typo fails at import -----------------
_CKG_TERMS = """
    Cluster Country Region Industry Competency CompetencyClaim CompetencyNeed Affiliation
    Partnership SharedResource Development ClusterPolicy
    SME LargeEnterprise University ResearchInstitute Technopark PublicBody Association Investor
    ClusterManagementOrganisation Hospital OtherOrganisation
    Member FoundingMember BoardMember Resident ProjectPartner LocatedInRegion
    CrossClusterProject SuperRegionalCluster MetaCluster CooperationAgreement
    LevelBasic LevelAdvanced LevelLeading
    Equipment Laboratory TestBed PilotLine Facility Service
    DirigisteModel LiberalModel MixedModel
    DirectFinancialSupport TaxIncentives InnovationFunds RiskReductionProgrammes
    DevelopmentInstitutions CoordinatingAuthorities IPProtection TargetedResearchFunding
    StageEmerging StageGrowing StageMature stage roleLabel
    country region industry clusterOrganisation memberCount memberCountYear
    organisation cluster affiliationType affiliatedWith projectPartnerOf locatedInRegionOf
    appliedIn hasCompetency qualifiedCompetency competency level
    needsCompetency qualifiedNeed participant offeredBy resourceKind relatedCompetency
    developedBy policyModel supportInstrument instrumentCount synthetic
""".split()
_OTHER_TERMS = {
    "rdf": (RDF, ["type"]),
    "rdfs": (RDFS, ["label"]),
    "skos": (SKOS, ["Concept", "ConceptScheme", "prefLabel", "definition", "notation",
                    "inScheme", "broader", "topConceptOf", "hasTopConcept", "exactMatch"]),
    "org": (ORG, ["FormalOrganization", "Membership", "member", "organization", "memberOf"]),
    "schema": (SCHEMA, ["addressLocality", "foundingDate", "startDate", "endDate"]),
    "dct": (DCT, ["source", "title", "description", "date"]),
    "dcat": (DCAT, ["Dataset"]),
    "prov": (PROV, ["Entity"]),
}
_T = {name: f"<{CKG[name]}>" for name in _CKG_TERMS}
_T.update({f"{prefix}:{name}": f"<{getattr(namespace, name)}>"
           for prefix, (namespace, names) in _OTHER_TERMS.items() for name in names})
_A = _T["rdf:type"]
_XSD_GYEAR = str(XSD.gYear)
_XSD_INTEGER = str(XSD.integer)
_XSD_DATE = str(XSD.date)
_TRUE = f'"true"^^<{XSD.boolean}>'

# --- Real reference data the synthetic graph hangs on --------------------------------------
# ISO 3166-1 alpha-2 codes with their short English names; clusters are placed in these.
_COUNTRIES = [
    ("DE", "Germany"), ("FR", "France"), ("IT", "Italy"), ("ES", "Spain"),
    ("NL", "Netherlands"), ("BE", "Belgium"), ("AT", "Austria"), ("SE", "Sweden"),
    ("DK", "Denmark"), ("FI", "Finland"), ("PL", "Poland"), ("CZ", "Czechia"),
    ("PT", "Portugal"), ("IE", "Ireland"), ("GR", "Greece"), ("HU", "Hungary"),
    ("RO", "Romania"), ("BG", "Bulgaria"), ("SK", "Slovakia"), ("SI", "Slovenia"),
    ("HR", "Croatia"), ("LT", "Lithuania"), ("LV", "Latvia"), ("EE", "Estonia"),
    ("LU", "Luxembourg"), ("NO", "Norway"), ("CH", "Switzerland"), ("GB", "United Kingdom"),
    ("US", "United States of America"), ("CA", "Canada"), ("JP", "Japan"),
    ("KR", "Korea, Republic of"), ("SG", "Singapore"), ("AU", "Australia"),
    ("RU", "Russian Federation"), ("BY", "Belarus"), ("KZ", "Kazakhstan"), ("TR", "Türkiye"),
    ("IL", "Israel"), ("IN", "India"), ("CN", "China"), ("BR", "Brazil"), ("MX", "Mexico"),
    ("ZA", "South Africa"),
]

# Organisation types with their share among ordinary members (cluster management
# organisations are added one per cluster on top of these).
_ORG_TYPES = [
    ("SME", "SME", 0.62),
    ("LargeEnterprise", "large enterprise", 0.11),
    ("University", "university", 0.05),
    ("ResearchInstitute", "research institute", 0.06),
    ("Technopark", "technopark", 0.01),
    ("PublicBody", "public body", 0.03),
    ("Association", "association", 0.04),
    ("Investor", "investor", 0.03),
    ("Hospital", "hospital", 0.015),
    ("OtherOrganisation", "organisation", 0.035),
]
_CMO = len(_ORG_TYPES)  # type index of a cluster management organisation
_ORG_TYPE_CLASS = [_T[c] for c, _, _ in _ORG_TYPES] + [_T["ClusterManagementOrganisation"]]
_ORG_TYPE_NOUN = [n for _, n, _ in _ORG_TYPES] + ["cluster management organisation"]
# Who offers shared equipment, labs and test beds: research first, then big firms.
_RESOURCE_OFFER_WEIGHT = [0.2, 2.0, 4.0, 5.0, 3.0, 0.5, 0.2, 0.0, 2.0, 0.2, 1.0]

_AFFILIATION_TYPES = ["Member", "FoundingMember", "BoardMember", "Resident",
                      "ProjectPartner", "LocatedInRegion"]
_MEMBERSHIP_TYPES = 4  # the first four make an org:Membership and org:memberOf
_AFFILIATION_SHORTCUT = [_T["org:memberOf"]] * 4 + [_T["projectPartnerOf"],
                                                    _T["locatedInRegionOf"]]
_PRIMARY_AFFILIATION_P = [0.86, 0.06, 0.03, 0.05, 0.0, 0.0]
_EXTRA_AFFILIATION_P = [0.60, 0.0, 0.0, 0.05, 0.25, 0.10]

_STAGES = ["StageEmerging", "StageGrowing", "StageMature"]
_LEVELS = [None, _T["LevelBasic"], _T["LevelAdvanced"], _T["LevelLeading"]]
_LEVEL_P = [0.15, 0.35, 0.40, 0.10]

_PARTNERSHIP_LEVELS = [
    ("CrossClusterProject", "cross-cluster project", 0.45),
    ("SuperRegionalCluster", "super-regional cluster", 0.15),
    ("MetaCluster", "meta-cluster", 0.10),
    ("CooperationAgreement", "cooperation agreement", 0.30),
]
_RESOURCE_KINDS = [("Equipment", "equipment"), ("Laboratory", "laboratory"),
                   ("TestBed", "test bed"), ("PilotLine", "pilot line"),
                   ("Facility", "facility"), ("Service", "service")]
_POLICY_MODELS = ["DirigisteModel", "LiberalModel", "MixedModel"]
_INSTRUMENTS = ["DirectFinancialSupport", "TaxIncentives", "InnovationFunds",
                "RiskReductionProgrammes", "DevelopmentInstitutions",
                "CoordinatingAuthorities", "IPProtection", "TargetedResearchFunding"]

_REFERENCE_YEAR = 2024  # "now" of the synthetic world; keeps the output deterministic
_ZIPF_EXPONENT = 1.0  # competency popularity ~ 1 / rank
_FROM_CLUSTER_INDUSTRY = 0.75  # share of an organisation's competencies from its industries
_BLOCK = 20_000  # entities per yielded text block


@dataclass(frozen=True)
class SyntheticSpec:
    """Size and texture of a synthetic graph.

    Parameters
    ----------
    clusters, organisations, competencies : int
        How many of each to generate. Every organisation has one home cluster; each
        cluster gets at least one organisation (its cluster management organisation)
        when there are enough organisations.
    countries : int
        How many (synthetic) countries, named after real ISO 3166-1 codes, the clusters are
        spread over.
    industries_per_cluster : tuple of int
        Inclusive ``(low, high)`` number of industries tagged on each cluster.
    competencies_per_org_mean : float
        Mean number of competencies per organisation (negative binomial, so a few
        organisations hold many).
    multi_cluster_share : float
        Share of organisations that are tied to more than one cluster.
    partnerships : int or None
        Partnerships between clusters; ``None`` means ``clusters // 2``.
    needs_per_cluster : int
        Competencies each cluster says it needs, chosen among its industries'
        competencies that its own members lack.
    shared_resources, developments : int or None
        Shared resources and members' developments; ``None`` means
        ``organisations // 100`` each.
    seed : int
        Seed of ``numpy.random.default_rng``; the same spec gives the same bytes.
    """

    clusters: int = 100
    organisations: int = 5_000
    competencies: int = 500
    countries: int = 20
    industries_per_cluster: tuple = (1, 3)
    competencies_per_org_mean: float = 4.0
    multi_cluster_share: float = 0.1
    partnerships: int | None = None
    needs_per_cluster: int = 3
    shared_resources: int | None = None
    developments: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.clusters < 1 or self.competencies < 1 or self.organisations < 0:
            raise ValueError("need at least one cluster and one competency, and "
                             "organisations >= 0")
        if not 1 <= self.countries <= len(_COUNTRIES):
            raise ValueError(f"countries must be between 1 and {len(_COUNTRIES)}")
        low, high = self.industries_per_cluster
        if not 0 <= low <= high:
            raise ValueError("industries_per_cluster must be (low, high) with 0 <= low <= high")
        if self.competencies_per_org_mean < 0 or not 0 <= self.multi_cluster_share <= 1:
            raise ValueError("competencies_per_org_mean must be >= 0 and "
                             "multi_cluster_share in [0, 1]")
        for name in ("partnerships", "shared_resources", "developments"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.needs_per_cluster < 0 or self.seed < 0:
            raise ValueError("needs_per_cluster and seed must be >= 0")


def synthetic_triples(spec: SyntheticSpec) -> Iterator[str]:
    """Yield the synthetic graph as N-Triples lines, each ending in ``"\\n"``.

    Parameters
    ----------
    spec : SyntheticSpec
        What to generate.

    Yields
    ------
    str
        One N-Triples statement per item.

    Examples
    --------
    >>> spec = SyntheticSpec(clusters=3, organisations=30, competencies=12, countries=2)
    >>> lines = list(synthetic_triples(spec))
    >>> print(lines[0], end="")  # doctest: +ELLIPSIS
    <https://w3id.org/clusterkg/synthetic/dataset/0> ... "Synthetic clusterkg graph (seed 0) \u2014 not real data"@en .
    >>> lines == list(synthetic_triples(spec))
    True
    >>> sum(" <http://www.w3.org/ns/org#memberOf> " in line for line in lines) >= 30
    True
    """
    for block in _text_blocks(spec):
        yield from io.StringIO(block)


def write_synthetic(spec: SyntheticSpec, out: BinaryIO | str | Path) -> int:
    """Write the synthetic graph as UTF-8 N-Triples and return the number of triples.

    Parameters
    ----------
    spec : SyntheticSpec
        What to generate.
    out : binary file object, str or Path
        Where to write; a path is created or overwritten.

    Returns
    -------
    int
        Triples written.

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> n = write_synthetic(SyntheticSpec(clusters=2, organisations=10, competencies=5,
    ...                                   countries=1), buffer)
    >>> n == buffer.getvalue().count(b"\\n") == len(list(synthetic_triples(
    ...     SyntheticSpec(clusters=2, organisations=10, competencies=5, countries=1))))
    True
    """
    if isinstance(out, (str, Path)):
        with open(out, "wb") as stream:
            return write_synthetic(spec, stream)
    count = 0
    for block in _text_blocks(spec):
        out.write(block.encode("utf-8"))
        count += block.count("\n")
    return count


# --- N-Triples terms ---------------------------------------------------------------------

def _literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """An N-Triples literal with the characters the grammar forbids escaped."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r"))
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


def _year(year: int) -> str:
    return f'"{year:04d}"^^<{_XSD_GYEAR}>'


def _iri(kind: str, local: str) -> str:
    return f"<{SYNTHETIC_BASE}{kind}/{local}>"


# --- The world: every random draw, as arrays ------------------------------------------------

def _industries() -> list[dict[str, str]]:
    """The real industry concepts from the packaged sheet."""
    sheet = resources.files("clusterkg.data").joinpath("sheets", "industries.csv")
    with sheet.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _zipf_weights(n: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Probabilities ~ 1/rank**exponent over a random ranking of ``n`` items."""
    ranks = rng.permutation(n) + 1
    weights = 1.0 / ranks.astype(float) ** exponent
    return weights / weights.sum()


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values; a plain sort is ~10x faster than ``np.unique`` on int keys."""
    values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if len(values) else values


def _sample(cdf: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Indices drawn from a cumulative distribution, one per uniform number."""
    return np.minimum(np.searchsorted(cdf, uniform * cdf[-1], side="right"), len(cdf) - 1)


class _World:
    """All entities and links of one synthetic graph, drawn up front as compact arrays."""

    def __init__(self, spec: SyntheticSpec) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.industries = _industries()
        self._places()
        self._competencies()
        self._clusters()
        self._organisations()
        self._affiliations()
        self._claims()

    # countries and regions
    def _places(self) -> None:
        rng, spec = self.rng, self.spec
        picked = sorted(rng.choice(len(_COUNTRIES), spec.countries, replace=False))
        self.countries = [_COUNTRIES[i] for i in picked]
        self.country_weight = _zipf_weights(spec.countries, rng, 0.8)
        self.region_counts = rng.integers(2, 9, size=spec.countries)
        self.region_offset = np.concatenate([[0], np.cumsum(self.region_counts)])
        self.region_country = np.repeat(np.arange(spec.countries), self.region_counts)

    # competency hierarchy, industries it applies in, popularity
    def _competencies(self) -> None:
        rng, n = self.rng, self.spec.competencies
        n_ind = len(self.industries)
        self.industry_weight = _zipf_weights(n_ind, rng, 0.8)
        n_top = min(n, max(1, round(n ** 0.5 / 2)))
        n_mid = min(n - n_top, max(1, round(0.2 * n)))
        self.n_top = n_top
        broader = np.full(n, -1)
        top_of = np.arange(n)
        if n_mid:
            mids = np.arange(n_top, n_top + n_mid)
            broader[mids] = rng.integers(0, n_top, size=n_mid)
        leaves = np.arange(n_top + n_mid, n)
        if len(leaves):
            to_mid = rng.random(len(leaves)) < 0.9
            broader[leaves] = np.where(to_mid, rng.integers(n_top, n_top + n_mid, len(leaves)),
                                       rng.integers(0, n_top, len(leaves)))
        for c in range(n_top, n):
            top_of[c] = top_of[broader[c]]
        self.broader = broader
        self.top_of = top_of
        # each top concept has 1-2 home industries; its descendants apply there and,
        # for a third of them, in one more industry (the cross-industry opportunities).
        home = [rng.choice(n_ind, size=rng.integers(1, 3), replace=False, p=self.industry_weight)
                for _ in range(n_top)]
        applied = []
        for c in range(n):
            own = home[top_of[c]]
            first = int(own[rng.integers(len(own))]) if c >= n_top else None
            sets = [int(i) for i in own] if first is None else [first]
            if c >= n_top and rng.random() < 0.35:
                other = int(rng.integers(n_ind))
                if other not in sets:
                    sets.append(other)
            applied.append(sets)
        self.applied_in = applied
        self.popularity = _zipf_weights(n, rng, _ZIPF_EXPONENT)
        self.global_cdf = np.cumsum(self.popularity)
        by_industry: list[list[int]] = [[] for _ in range(n_ind)]
        for c, sets in enumerate(applied):
            for i in sets:
                by_industry[i].append(c)
        self.industry_competencies = [np.array(cs, dtype=np.int64) for cs in by_industry]

    # clusters: place, industries, size
    def _clusters(self) -> None:
        rng, spec = self.rng, self.spec
        n = spec.clusters
        n_ind = len(self.industries)
        self.cluster_country = rng.choice(spec.countries, size=n, p=self.country_weight)
        cross_border = (rng.random(n) < 0.03) & (spec.countries > 1)
        second = (self.cluster_country + rng.integers(1, max(spec.countries, 2), n)) \
            % spec.countries
        self.cluster_second_country = np.where(cross_border, second, -1)
        self.cluster_region = (self.region_offset[self.cluster_country]
                               + (rng.random(n) * self.region_counts[self.cluster_country])
                               .astype(np.int64))
        # clusters are tagged with industries the competency scheme covers, so their
        # members' competencies (and their gaps) can follow those industries
        covered = np.array([len(cs) > 0 for cs in self.industry_competencies])
        weight = self.industry_weight * covered
        low, high = spec.industries_per_cluster
        high = min(high, int(covered.sum()))
        low = min(low, high)
        counts = rng.integers(low, high + 1, size=n)
        self.cluster_industries = [
            [int(i) for i in rng.choice(n_ind, size=k, replace=False, p=weight / weight.sum())]
            for k in counts]
        self.cluster_founded = rng.integers(1990, 2023, size=n)
        # young clusters are mostly emerging, old ones mostly mature; some are left unstaged
        age = _REFERENCE_YEAR - self.cluster_founded + rng.normal(0, 4, size=n)
        stage = np.digitize(age, [10, 20])
        self.cluster_stage = np.where(rng.random(n) < 0.8, stage, -1)
        self.cluster_size_weight = rng.lognormal(mean=0.0, sigma=1.1, size=n)

    # organisations: home cluster, type, place
    def _organisations(self) -> None:
        rng, spec = self.rng, self.spec
        n, n_cl = spec.organisations, spec.clusters
        weights = self.cluster_size_weight / self.cluster_size_weight.sum()
        managed = min(n, n_cl)  # org i < managed manages cluster i
        home = np.empty(n, dtype=np.int64)
        home[:managed] = np.arange(managed)
        home[managed:] = rng.choice(n_cl, size=n - managed, p=weights)
        self.org_home = home
        types = np.full(n, _CMO)
        type_p = np.array([p for _, _, p in _ORG_TYPES])
        types[managed:] = rng.choice(len(_ORG_TYPES), size=n - managed, p=type_p / type_p.sum())
        self.org_type = types
        self.cluster_manager = np.full(n_cl, -1)
        self.cluster_manager[:managed] = np.arange(managed)
        # most organisations sit in their cluster's country and region
        foreign = rng.random(n) < 0.08
        country = np.where(foreign, rng.choice(spec.countries, size=n, p=self.country_weight),
                           self.cluster_country[home])
        own_region = self.cluster_region[home]
        other_region = (self.region_offset[country]
                        + (rng.random(n) * self.region_counts[country]).astype(np.int64))
        same_region = ~foreign & (rng.random(n) < 0.8)
        self.org_country = country
        self.org_region = np.where(same_region, own_region, other_region)
        self.org_has_region = rng.random(n) < 0.9

    # affiliations: home cluster plus, for some, other clusters
    def _affiliations(self) -> None:
        rng, spec = self.rng, self.spec
        n, n_cl = spec.organisations, spec.clusters
        weights = self.cluster_size_weight / self.cluster_size_weight.sum()
        multi = np.flatnonzero(rng.random(n) < spec.multi_cluster_share) if n_cl > 1 \
            else np.empty(0, dtype=np.int64)
        extra_counts = 1 + rng.poisson(0.4, size=len(multi))
        extra_org = np.repeat(multi, extra_counts)
        extra_cluster = rng.choice(n_cl, size=len(extra_org), p=weights)
        clash = extra_cluster == self.org_home[extra_org]
        extra_cluster[clash] = (extra_cluster[clash] + rng.integers(1, n_cl, clash.sum())) % n_cl
        orgs = np.concatenate([np.arange(n), extra_org])
        clusters = np.concatenate([self.org_home, extra_cluster])
        key = _sorted_unique(orgs * n_cl + clusters)  # one affiliation per pair, grouped by org
        self.aff_org = key // n_cl
        self.aff_cluster = key % n_cl
        primary = self.aff_cluster == self.org_home[self.aff_org]
        n_aff = len(key)
        kinds = np.where(primary,
                         rng.choice(6, size=n_aff, p=_PRIMARY_AFFILIATION_P),
                         rng.choice(6, size=n_aff, p=_EXTRA_AFFILIATION_P))
        kinds[primary & (self.org_type[self.aff_org] == _CMO)] = 0
        self.aff_type = kinds
        founded = self.cluster_founded[self.aff_cluster]
        start = founded + (rng.random(n_aff) * (_REFERENCE_YEAR + 1 - founded)).astype(np.int64)
        self.aff_start = np.where(kinds == 1, founded, start)
        self.aff_end = np.where((kinds == 4) & (rng.random(n_aff) < 0.5),
                                self.aff_start + rng.integers(2, 5, n_aff), -1)
        members = kinds < _MEMBERSHIP_TYPES
        self.cluster_member_count = np.bincount(self.aff_cluster[members], minlength=n_cl)

    # competency claims: mostly from the home cluster's industries, popularity-weighted
    def _claims(self) -> None:
        rng, spec = self.rng, self.spec
        n, n_comp = spec.organisations, spec.competencies
        mean = spec.competencies_per_org_mean
        if mean > 0:
            dispersion = 2.0
            wanted = rng.negative_binomial(dispersion, dispersion / (dispersion + mean), size=n)
        else:
            wanted = np.zeros(n, dtype=np.int64)
        wanted = np.minimum(wanted, n_comp)
        held = np.empty(0, dtype=np.int64)  # keys org * n_comp + competency
        short = wanted.copy()
        for _ in range(6):  # draw, drop repeats, top up what repeats cost
            orgs = np.repeat(np.arange(n), short)
            if not len(orgs):
                break
            comps = self._draw_competencies(orgs)
            held = _sorted_unique(np.concatenate([held, orgs * n_comp + comps]))
            short = wanted - np.bincount(held // n_comp, minlength=n)
        self.claim_org = held // n_comp
        self.claim_comp = held % n_comp
        self.claim_level = rng.choice(len(_LEVELS), size=len(held), p=_LEVEL_P)
        self.claim_offset = np.searchsorted(self.claim_org, np.arange(n + 1))

    def _draw_competencies(self, orgs: np.ndarray) -> np.ndarray:
        rng = self.rng
        comps = _sample(self.global_cdf, rng.random(len(orgs)))
        counts = np.array([len(s) for s in self.cluster_industries])
        flat = np.array([i for s in self.cluster_industries for i in s] or [0], dtype=np.int64)
        offset = np.concatenate([[0], np.cumsum(counts)])
        home = self.org_home[orgs]
        from_industry = (rng.random(len(orgs)) < _FROM_CLUSTER_INDUSTRY) & (counts[home] > 0)
        pick = (rng.random(len(orgs)) * counts[home]).astype(np.int64)
        industry = np.where(from_industry, flat[np.minimum(offset[home] + pick, len(flat) - 1)],
                            -1)
        uniform = rng.random(len(orgs))
        for i, candidates in enumerate(self.industry_competencies):
            chosen = industry == i
            if not chosen.any() or not len(candidates):
                continue
            cdf = np.cumsum(self.popularity[candidates])
            comps[chosen] = candidates[_sample(cdf, uniform[chosen])]
        return comps

    def cluster_held(self) -> np.ndarray:
        """Sorted keys ``cluster * competencies + competency`` of what affiliated members hold."""
        n_comp = self.spec.competencies
        starts = self.claim_offset[self.aff_org]
        lengths = self.claim_offset[self.aff_org + 1] - starts
        idx = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        return _sorted_unique(np.repeat(self.aff_cluster, lengths) * n_comp
                              + self.claim_comp[idx])


# --- The text ------------------------------------------------------------------------------

def _text_blocks(spec: SyntheticSpec) -> Iterator[str]:
    """The graph as blocks of whole N-Triples lines."""
    world = _World(spec)
    writer = _Writer(world)
    yield from writer.dataset()
    yield from writer.places_and_industries()
    yield from writer.competencies()
    yield from writer.clusters()
    yield from writer.organisations()
    yield from writer.affiliations()
    yield from writer.claims()
    yield from writer.needs()
    yield from writer.partnerships()
    yield from writer.resources_and_developments()
    yield from writer.policies()


class _Writer:
    """Turns a ``_World`` into N-Triples text, section by section."""

    def __init__(self, world: _World) -> None:
        self.w = world
        seed = world.spec.seed
        self.seed = seed
        self.ds = _iri("dataset", str(seed))
        # synthetic countries of their own, so that invented policies never attach to a real one
        self.country_iri = [_iri("country", f"{seed}-{code.lower()}") for code, _ in world.countries]
        self.region_iri = [_iri("region", f"{seed}-{world.countries[c][0].lower()}-{k}")
                           for c, n in enumerate(world.region_counts) for k in range(n)]
        self.industry_iri = [f"<{_ID_BASE}industry/{row['id']}>" for row in world.industries]
        self.competency_scheme = _iri("scheme", f"{seed}-competencies")
        self.comp_iri = [_iri("competency", f"{seed}-{c}") for c in range(world.spec.competencies)]
        self.cluster_iri = [_iri("cluster", f"{seed}-{k}") for k in range(world.spec.clusters)]
        self.org_prefix = f"<{SYNTHETIC_BASE}org/{seed}-"

    def org(self, i: int) -> str:
        return f"{self.org_prefix}{i}>"

    def dataset(self) -> Iterator[str]:
        s, T = self.ds, _T
        title = f"Synthetic clusterkg graph (seed {self.seed}) — not real data"
        description = (f"Generated by clusterkg.graph.synthetic from {self.w.spec!r}. Every node "
                       "of this graph except the industries, countries and concept schemes is "
                       "invented.")
        yield (f"{s} {T['dct:title']} {_literal(title, 'en')} .\n"
               f"{s} {_A} {T['dcat:Dataset']} .\n"
               f"{s} {_A} {T['prov:Entity']} .\n"
               f"{s} {T['synthetic']} {_TRUE} .\n"
               f"{s} {T['dct:description']} {_literal(description, 'en')} .\n")

    def places_and_industries(self) -> Iterator[str]:
        T, w, out = _T, self.w, []
        for i, (code, name) in enumerate(w.countries):
            c = self.country_iri[i]
            out.append(f"{c} {_A} {T['Country']} .\n{c} {_A} {T['skos:Concept']} .\n"
                       f"{c} {T['skos:notation']} {_literal(code)} .\n"
                       f"{c} {T['skos:prefLabel']} {_literal('Synthetic ' + name, 'en')} .\n")
        for r, country in enumerate(w.region_country):
            g = self.region_iri[r]
            code = w.countries[country][0]
            out.append(f"{g} {_A} {T['Region']} .\n{g} {_A} {T['skos:Concept']} .\n"
                       f"{g} {T['skos:prefLabel']} "
                       f"{_literal(f'Synthetic region {r} ({code})', 'en')} .\n"
                       f"{g} {T['country']} {self.country_iri[country]} .\n"
                       f"{g} {T['dct:source']} {self.ds} .\n")
        schemes = sorted({row["scheme"] for row in w.industries})
        for scheme in schemes:
            out.append(f"<{_ID_BASE}scheme/{scheme}> {_A} {T['skos:ConceptScheme']} .\n")
        out.append(f"{self.competency_scheme} {_A} {T['skos:ConceptScheme']} .\n"
                   f"{self.competency_scheme} {T['skos:prefLabel']} "
                   f"{_literal(f'Synthetic competency scheme (seed {self.seed})', 'en')} .\n")
        for i, row in enumerate(w.industries):
            d = self.industry_iri[i]
            out.append(f"{d} {_A} {T['Industry']} .\n{d} {_A} {T['skos:Concept']} .\n"
                       f"{d} {T['skos:prefLabel']} {_literal(row['label'], 'en')} .\n"
                       f"{d} {T['skos:notation']} {_literal(row['notation'])} .\n"
                       f"{d} {T['skos:inScheme']} <{_ID_BASE}scheme/{row['scheme']}> .\n")
            if row["scheme"] == "nace-sections":
                out.append(f"{d} {T['skos:exactMatch']} "
                           f"<http://data.europa.eu/ux2/nace2/{row['notation']}> .\n")
        yield "".join(out)

    def competencies(self) -> Iterator[str]:
        T, w = _T, self.w
        out: list[str] = []
        for c in range(w.spec.competencies):
            k = self.comp_iri[c]
            is_top = c < w.n_top
            name = f"Synthetic competency area {c}" if is_top else f"Synthetic competency {c}"
            out.append(f"{k} {_A} {T['Competency']} .\n{k} {_A} {T['skos:Concept']} .\n"
                       f"{k} {T['skos:inScheme']} {self.competency_scheme} .\n"
                       f"{k} {T['skos:prefLabel']} {_literal(name, 'en')} .\n"
                       f"{k} {T['dct:source']} {self.ds} .\n")
            if is_top:
                areas = ", ".join(w.industries[i]["label"] for i in w.applied_in[c])
                definition = f"Synthetic area of competencies applied in {areas}."
                out.append(f"{k} {T['skos:topConceptOf']} {self.competency_scheme} .\n"
                           f"{self.competency_scheme} {T['skos:hasTopConcept']} {k} .\n"
                           f"{k} {T['skos:definition']} {_literal(definition, 'en')} .\n")
            else:
                out.append(f"{k} {T['skos:broader']} {self.comp_iri[w.broader[c]]} .\n")
            for i in w.applied_in[c]:
                out.append(f"{k} {T['appliedIn']} {self.industry_iri[i]} .\n")
            if len(out) >= _BLOCK:
                yield "".join(out)
                out = []
        yield "".join(out)

    def clusters(self) -> Iterator[str]:
        T, w = _T, self.w
        out: list[str] = []
        for k in range(w.spec.clusters):
            s = self.cluster_iri[k]
            out.append(f"{s} {_A} {T['Cluster']} .\n"
                       f"{s} {T['rdfs:label']} {_literal(f'Synthetic cluster {k}', 'en')} .\n"
                       f"{s} {T['country']} {self.country_iri[w.cluster_country[k]]} .\n"
                       f"{s} {T['region']} {self.region_iri[w.cluster_region[k]]} .\n"
                       f"{s} {T['schema:addressLocality']} "
                       f"{_literal(f'Synthetic town {k}')} .\n"
                       f"{s} {T['schema:foundingDate']} {_year(w.cluster_founded[k])} .\n"
                       f"{s} {T['memberCount']} "
                       f'"{w.cluster_member_count[k]}"^^<{_XSD_INTEGER}> .\n'
                       f"{s} {T['memberCountYear']} {_year(_REFERENCE_YEAR)} .\n"
                       f"{s} {T['dct:source']} {self.ds} .\n")
            if w.cluster_stage[k] >= 0:
                out.append(f"{s} {T['stage']} {T[_STAGES[w.cluster_stage[k]]]} .\n")
            if w.cluster_second_country[k] >= 0:
                out.append(f"{s} {T['country']} "
                           f"{self.country_iri[w.cluster_second_country[k]]} .\n")
            if w.cluster_manager[k] >= 0:
                out.append(f"{s} {T['clusterOrganisation']} {self.org(w.cluster_manager[k])} .\n")
            for i in w.cluster_industries[k]:
                out.append(f"{s} {T['industry']} {self.industry_iri[i]} .\n")
        yield "".join(out)

    def organisations(self) -> Iterator[str]:
        T, w = _T, self.w
        formal, a, label, country, region, source = (
            T["org:FormalOrganization"], _A, T["rdfs:label"], T["country"], T["region"],
            T["dct:source"])
        ds = self.ds
        types = w.org_type.tolist()
        countries = w.org_country.tolist()
        regions = np.where(w.org_has_region, w.org_region, -1).tolist()
        out: list[str] = []
        for i in range(w.spec.organisations):
            o = self.org(i)
            t = types[i]
            out.append(f"{o} {a} {formal} .\n{o} {a} {_ORG_TYPE_CLASS[t]} .\n"
                       f'{o} {label} "Synthetic {_ORG_TYPE_NOUN[t]} {i}"@en .\n'
                       f"{o} {country} {self.country_iri[countries[i]]} .\n"
                       f"{o} {source} {ds} .\n")
            if regions[i] >= 0:
                out.append(f"{o} {region} {self.region_iri[regions[i]]} .\n")
            if len(out) >= _BLOCK:
                yield "".join(out)
                out = []
        yield "".join(out)

    def affiliations(self) -> Iterator[str]:
        T, w, seed, ds = _T, self.w, self.seed, self.ds
        a = _A
        aff_cls, membership = T["Affiliation"], T["org:Membership"]
        p_org, p_cl, p_type = T["organisation"], T["cluster"], T["affiliationType"]
        p_member, p_organization = T["org:member"], T["org:organization"]
        p_with, p_start, p_end, p_src = (T["affiliatedWith"], T["schema:startDate"],
                                         T["schema:endDate"], T["dct:source"])
        p_role = T["roleLabel"]
        kind_iri = [T[k] for k in _AFFILIATION_TYPES]
        prefix = f"<{SYNTHETIC_BASE}affiliation/{seed}-"
        orgs, clusters = w.aff_org.tolist(), w.aff_cluster.tolist()
        kinds, starts, ends = w.aff_type.tolist(), w.aff_start.tolist(), w.aff_end.tolist()
        out: list[str] = []
        for j in range(len(orgs)):
            f = f"{prefix}{j}>"
            o = self.org(orgs[j])
            s = self.cluster_iri[clusters[j]]
            kind = kinds[j]
            out.append(f"{f} {a} {aff_cls} .\n{f} {p_org} {o} .\n{f} {p_cl} {s} .\n"
                       f"{f} {p_type} {kind_iri[kind]} .\n"
                       f'{f} {p_start} "{starts[j]}"^^<{_XSD_GYEAR}> .\n'
                       f"{f} {p_src} {ds} .\n"
                       f"{o} {p_with} {s} .\n{o} {_AFFILIATION_SHORTCUT[kind]} {s} .\n")
            if kind < _MEMBERSHIP_TYPES:
                out.append(f"{f} {a} {membership} .\n{f} {p_member} {o} .\n"
                           f"{f} {p_organization} {s} .\n")
            if kind == 2:
                out.append(f'{f} {p_role} "Synthetic board seat"@en .\n')
            if ends[j] >= 0:
                out.append(f'{f} {p_end} "{ends[j]}"^^<{_XSD_GYEAR}> .\n')
            if len(out) >= _BLOCK:
                yield "".join(out)
                out = []
        yield "".join(out)

    def claims(self) -> Iterator[str]:
        T, w, seed, ds = _T, self.w, self.seed, self.ds
        a, claim_cls = _A, T["CompetencyClaim"]
        p_has, p_q, p_comp, p_level, p_src = (T["hasCompetency"], T["qualifiedCompetency"],
                                              T["competency"], T["level"], T["dct:source"])
        prefix = f"<{SYNTHETIC_BASE}claim/{seed}-"
        level_line = [""] + [f" {p_level} {lv} .\n" for lv in _LEVELS[1:]]
        orgs, comps, levels = (w.claim_org.tolist(), w.claim_comp.tolist(),
                               w.claim_level.tolist())
        comp_iri = self.comp_iri
        out: list[str] = []
        for j in range(len(orgs)):
            q = f"{prefix}{j}>"
            o = self.org(orgs[j])
            c = comp_iri[comps[j]]
            lv = levels[j]
            out.append(f"{o} {p_has} {c} .\n{o} {p_q} {q} .\n{q} {a} {claim_cls} .\n"
                       f"{q} {p_comp} {c} .\n{q} {p_src} {ds} .\n"
                       + (q + level_line[lv] if lv else ""))
            if len(out) >= _BLOCK:
                yield "".join(out)
                out = []
        yield "".join(out)

    def needs(self) -> Iterator[str]:
        """Each cluster needs competencies of its industries that no member holds."""
        T, w, seed, ds = _T, self.w, self.seed, self.ds
        rng = w.rng
        held = w.cluster_held()
        n_comp = w.spec.competencies
        out: list[str] = []
        j = 0
        for k in range(w.spec.clusters):
            arrays = [w.industry_competencies[i] for i in w.cluster_industries[k]]
            candidates = _sorted_unique(np.concatenate(arrays)) if arrays else \
                np.empty(0, dtype=np.int64)
            keys = k * n_comp + candidates
            found = np.searchsorted(held, keys)
            inside = (held[np.minimum(found, len(held) - 1)] == keys) if len(held) else \
                np.zeros(len(keys), dtype=bool)
            lacking = candidates[~inside]
            if not len(lacking):
                continue
            weights = 1.0 / w.popularity[lacking]  # rare competencies are the usual gaps
            n = min(w.spec.needs_per_cluster, len(lacking))
            chosen = rng.choice(lacking, size=n, replace=False, p=weights / weights.sum())
            s = self.cluster_iri[k]
            for c in sorted(chosen.tolist()):
                q = _iri("need", f"{seed}-{j}")
                j += 1
                text = f"Synthetic need of cluster {k} for competency {c}."
                out.append(f"{s} {T['needsCompetency']} {self.comp_iri[c]} .\n"
                           f"{s} {T['qualifiedNeed']} {q} .\n"
                           f"{q} {_A} {T['CompetencyNeed']} .\n"
                           f"{q} {T['competency']} {self.comp_iri[c]} .\n"
                           f"{q} {T['dct:description']} {_literal(text, 'en')} .\n"
                           f"{q} {T['dct:source']} {ds} .\n")
        yield "".join(out)

    def partnerships(self) -> Iterator[str]:
        """Partnerships of all four levels, each with participants that fit its level."""
        T, w, spec, seed = _T, self.w, self.w.spec, self.seed
        rng = w.rng
        n_cl = spec.clusters
        count = spec.partnerships if spec.partnerships is not None else n_cl // 2
        if n_cl < 2:
            return
        p = np.array([lp for _, _, lp in _PARTNERSHIP_LEVELS])
        levels = rng.choice(len(p), size=count, p=p / p.sum())
        levels[: min(count, len(p))] = np.arange(min(count, len(p)))  # every level appears
        country = w.cluster_country
        by_industry: dict[int, list[int]] = {}
        for k, inds in enumerate(w.cluster_industries):
            for i in inds:
                by_industry.setdefault(i, []).append(k)
        by_industry_arr = {i: np.array(ks) for i, ks in by_industry.items()}
        everyone = np.arange(n_cl)
        out: list[str] = []
        for j, level in enumerate(levels.tolist()):
            first = int(rng.integers(n_cl))
            inds = w.cluster_industries[first]
            if level == 1:  # super-regional: clusters of one country
                pool = everyone[country == country[first]]
            elif level == 2 and inds:  # meta-cluster: one industry, several countries
                pool = by_industry_arr[inds[0]]
                abroad = pool[country[pool] != country[first]]
                pool = abroad if len(abroad) else pool
            elif level == 0 and inds:  # cross-cluster project: where industries meet
                tries = rng.integers(n_cl, size=20)
                mine = set(inds)
                pool = np.array([k for k in tries.tolist()
                                 if not mine & set(w.cluster_industries[k])] or everyone)
            else:
                pool = everyone
            size = int(rng.integers(2, 6 if level in (1, 2) else 4))
            others = _sorted_unique(pool[pool != first])
            if len(others) < size - 1:
                others = everyone[everyone != first]
            picked = [first] + rng.choice(others, size=min(size - 1, len(others)),
                                          replace=False).tolist()
            cls, noun, _ = _PARTNERSHIP_LEVELS[level]
            s = _iri("partnership", f"{seed}-{j}")
            start = int(rng.integers(2000, _REFERENCE_YEAR + 1))
            topic_inds = sorted({i for k in picked for i in w.cluster_industries[k]})
            topic = ", ".join(w.industries[i]["label"] for i in topic_inds) or "industry"
            out.append(f"{s} {_A} {T['Partnership']} .\n{s} {_A} {T[cls]} .\n"
                       f"{s} {T['rdfs:label']} {_literal(f'Synthetic {noun} {j}', 'en')} .\n"
                       f"{s} {T['schema:startDate']} {_year(start)} .\n"
                       f"{s} {T['dct:description']} "
                       f"{_literal(f'Synthetic joint work on {topic}.', 'en')} .\n"
                       f"{s} {T['dct:source']} {self.ds} .\n")
            if level == 0 and rng.random() < 0.5:
                end = start + int(rng.integers(1, 5))
                out.append(f"{s} {T['schema:endDate']} {_year(end)} .\n")
            for k in sorted(picked):
                out.append(f"{s} {T['participant']} {self.cluster_iri[k]} .\n")
        yield "".join(out)

    def resources_and_developments(self) -> Iterator[str]:
        T, w, spec, seed, ds = _T, self.w, self.w.spec, self.seed, self.ds
        rng = w.rng
        n_org = spec.organisations
        if not n_org:
            return
        n_res = spec.shared_resources if spec.shared_resources is not None else n_org // 100
        n_dev = spec.developments if spec.developments is not None else n_org // 100
        weight = np.array(_RESOURCE_OFFER_WEIGHT)[w.org_type]
        offer = rng.choice(n_org, size=n_res, p=weight / weight.sum())
        kinds = rng.integers(len(_RESOURCE_KINDS), size=n_res)
        out: list[str] = []
        for j, (o, kind) in enumerate(zip(offer.tolist(), kinds.tolist())):
            s = _iri("resource", f"{seed}-{j}")
            cls, noun = _RESOURCE_KINDS[kind]
            out.append(f"{s} {_A} {T['SharedResource']} .\n"
                       f"{s} {T['rdfs:label']} {_literal(f'Synthetic {noun} {j}', 'en')} .\n"
                       f"{s} {T['offeredBy']} {self.org(o)} .\n"
                       f"{s} {T['resourceKind']} {T[cls]} .\n"
                       f"{s} {T['dct:source']} {ds} .\n")
            out.extend(f"{s} {T['relatedCompetency']} {self.comp_iri[c]} .\n"
                       for c in self._some_competencies_of(o, 3))
        developers = rng.integers(n_org, size=n_dev)
        for j, o in enumerate(developers.tolist()):
            s = _iri("development", f"{seed}-{j}")
            year, day = int(rng.integers(2015, _REFERENCE_YEAR + 1)), int(rng.integers(365))
            date = np.datetime64(f"{year}-01-01") + np.timedelta64(day, "D")
            out.append(f"{s} {_A} {T['Development']} .\n"
                       f"{s} {T['rdfs:label']} {_literal(f'Synthetic development {j}', 'en')} .\n"
                       f"{s} {T['dct:description']} "
                       f"{_literal(f'Synthetic new product or technology {j}.', 'en')} .\n"
                       f"{s} {T['developedBy']} {self.org(o)} .\n"
                       f'{s} {T["dct:date"]} "{date}"^^<{_XSD_DATE}> .\n'
                       f"{s} {T['dct:source']} {ds} .\n")
            comps = self._some_competencies_of(o, 2)
            out.extend(f"{s} {T['relatedCompetency']} {self.comp_iri[c]} .\n" for c in comps)
            industries = sorted({i for c in comps for i in w.applied_in[c]})
            out.extend(f"{s} {T['industry']} {self.industry_iri[i]} .\n" for i in industries)
            if len(out) >= _BLOCK:
                yield "".join(out)
                out = []
        yield "".join(out)

    def _some_competencies_of(self, org: int, most: int) -> list[int]:
        w = self.w
        held = w.claim_comp[w.claim_offset[org]:w.claim_offset[org + 1]]
        if not len(held):
            return []
        n = int(w.rng.integers(1, min(most, len(held)) + 1))
        return sorted(w.rng.choice(held, size=n, replace=False).tolist())

    def policies(self) -> Iterator[str]:
        T, w, seed, ds = _T, self.w, self.seed, self.ds
        rng = w.rng
        out: list[str] = []
        for i, (code, _) in enumerate(w.countries):
            s = _iri("policy", f"{seed}-{code.lower()}")
            model = _POLICY_MODELS[int(rng.integers(len(_POLICY_MODELS)))]
            n = int(rng.integers(2, 6))
            instruments = sorted(rng.choice(len(_INSTRUMENTS), size=n, replace=False).tolist())
            out.append(f"{s} {_A} {T['ClusterPolicy']} .\n"
                       f"{s} {T['country']} {self.country_iri[i]} .\n"
                       f"{s} {T['policyModel']} {T[model]} .\n"
                       f'{s} {T["instrumentCount"]} "{n}"^^<{_XSD_INTEGER}> .\n'
                       f"{s} {T['dct:source']} {ds} .\n")
            out.extend(f"{s} {T['supportInstrument']} {T[_INSTRUMENTS[m]]} .\n"
                       for m in instruments)
        yield "".join(out)

