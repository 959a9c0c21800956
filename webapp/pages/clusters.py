"""Cluster pages: the list, a cluster's profile, its recommended partners and new applications.

JSON twins (``.json`` or ``Accept: application/json``):

``/clusters`` (parameters ``country``, ``industry`` — repeatable —, ``sort``, ``order``)::

    {"filters": {"country": [str], "industry": [{"iri", "id", "label"}]},
     "sort": "label" | "countries" | "members" | "competencies" | "partnerships",
     "order": "asc" | "desc", "count": int,
     "clusters": [{"iri", "id", "label", "countries": [str], "industries": [{"iri", "id", "label"}],
                   "members": int, "competencies": int, "partnerships": int}],
     "facets": {"countries": [{"code", "count"}], "industries": [{"iri", "id", "label", "count"}]}}

``/clusters/<id>`` (a documented profile)::

    {"cluster": {"iri", "id", "label", "alt_labels": [str], "countries": [{"iri", "label"}],
                 "regions": [{"iri", "label"}], "cities": [str], "industries": [{"iri", "id", "label"}],
                 "founded": str | null, "stage": {"iri", "label"} | null,
                 "cluster_organisation": {"iri", "label"} | null, "website": str | null,
                 "member_count": str | null, "member_count_year": str | null,
                 "sources": [str], "quotes": [str]},
     "members": [{"type": "founding_member" | "board_member" | "member" | "resident" | "project_partner"
                           | "located_in_region",
                  "heading": str,
                  "organisations": [{"organisation": {"iri", "id", "label", "type", "country"},
                                     "role": str | null, "start": str | null, "end": str | null,
                                     "sources": [str], "quotes": [str]}]}],
     "member_total": int,                      # distinct organisations tied to the cluster
     "competencies": [{"iri", "id", "label", "organisations": int}],   # claimed by its organisations
     "needs": [{"iri", "id", "label", "declared_by_cluster": bool, "organisations": int}],
     "partnerships": [{"iri", "label", "level", "participants": [{"iri", "id", "label"}]}],
     "gaps": GapReport.to_json(),              # find_gaps(lens="all", limit=10)
     "recommendations": Recommendations.to_json()}   # recommend_clusters(limit=5)

``/clusters/<id>/recommendations`` (``limit``, ``include_existing``): ``Recommendations.to_json()``.
``/clusters/<id>/applications`` (``limit``, ``scheme``): ``Applications.to_json()``.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
from flask import request, url_for
from flask_babel import gettext
from markupsafe import Markup

from clusterkg.graph.analysis.applications import find_applications
from clusterkg.graph.analysis.gaps import find_gaps
from clusterkg.graph.analysis.recommend import recommend_clusters
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.projection import Projection, local_name
from clusterkg.webapp.i18n import collated, country, current_language, name
from clusterkg.webapp.pages import facts
from clusterkg.webapp.pages.common import (
    Lazy, answer_key, arg_bool, arg_int, arg_list, entity_url, labelled, memo, page_blueprint, parameter, projection, ref,
    render_block, respond, twin_route, wants_json,
)
from clusterkg.webapp.pages.drawing import Drawing, edge, node
from clusterkg.webapp.extension import state

__all__ = ["bp", "cluster_counts", "cluster_drawing"]

bp = page_blueprint("clusters", __name__)

SORT_KEYS = ("label", "countries", "members", "competencies", "partnerships")
GRAPH_MEMBER_CAP = 40
SCHEMES = ("eu-industrial-ecosystems", "eu-emerging-industries", "nace-sections")


def cluster_counts(p: Projection) -> dict[str, np.ndarray]:
    """Per cluster: tied organisations, distinct competencies they claim, partnerships (cached)."""
    def make() -> dict[str, np.ndarray]:
        ties = (p.cluster_org > 0).astype(np.float64)
        claimed = ties @ (p.org_competency > 0).astype(np.float64)
        partnerships = np.zeros(len(p.clusters), dtype=np.int64)
        for members in p.partnerships["clusters"]:
            partnerships[list(members)] += 1
        return {"members": np.diff(ties.tocsr().indptr), "competencies": np.diff(claimed.tocsr().indptr),
                "partnerships": partnerships}
    return p.cached("pages.cluster_counts", make)


def _industry_rows(p: Projection, names: list[str]) -> list[int]:
    with parameter("industry"):
        return [p.resolve_industry(name) for name in names]


@twin_route(bp, "/clusters", "list")
def cluster_list():
    p = projection()
    # a pure function of the projection and the parameters (a refused parameter is not kept)
    language = current_language()
    data = memo().get(("cluster-list", answer_key(p, language), language, request.query_string), lambda: _cluster_list(p),
                      size=lambda d: len(json.dumps(d, default=str)))
    return respond("pages/clusters.html", data, clusters=Lazy(lambda: _read_order(data)),
                   countries=Lazy(lambda: collated(data["facets"]["countries"], key=lambda f: country(f["code"]))),
                   industries=Lazy(lambda: collated(data["facets"]["industries"], key=name)))


def _read_order(data: dict) -> list[dict]:
    """The page's rows: sorted by name (or by countries) as they read in the page's language,
    collated (the JSON twin keeps the English order)."""
    if data["sort"] == "label":
        rows = collated(data["clusters"], key=name)
    elif data["sort"] == "countries":
        rows = collated(data["clusters"], key=lambda c: ", ".join(map(country, c["countries"])) + "\n" + name(c))
    else:
        return data["clusters"]
    return rows[::-1] if data["order"] == "desc" else rows


def _cluster_list(p: Projection) -> dict:
    countries = [c.upper() for c in arg_list("country")]
    known = sorted({c for values in p.clusters["countries"] for c in values})
    unknown = [c for c in countries if c not in known]
    if unknown:
        raise InvalidInput(reason(N_("parameter 'country': no cluster in %(unknown)s; countries with clusters: %(known)s"),
                                  unknown=", ".join(unknown), known=", ".join(known)))
    industry_rows = _industry_rows(p, arg_list("industry"))
    industry_iris = {p.industries["iri"].iat[i] for i in industry_rows}
    sort = request.args.get("sort", "label").strip() or "label"
    if sort not in SORT_KEYS:
        raise InvalidInput(reason(N_("parameter 'sort' must be one of %(choices)s, not %(value)s"), choices=", ".join(SORT_KEYS), value=repr(sort)))
    order = request.args.get("order", "asc").strip() or "asc"
    if order not in ("asc", "desc"):
        raise InvalidInput(reason(N_("parameter 'order' must be asc or desc, not %(value)s"), value=repr(order)))
    counts = cluster_counts(p)
    items = []
    for row in range(len(p.clusters)):
        cluster_countries = p.clusters["countries"].iat[row]
        cluster_industries = p.clusters["industries"].iat[row]
        if countries and not set(countries) & set(cluster_countries):
            continue
        if industry_iris and not industry_iris & set(cluster_industries):
            continue
        items.append({**ref(p.clusters, row, "countries"), "industries": labelled(p, cluster_industries),
                      "members": int(counts["members"][row]), "competencies": int(counts["competencies"][row]),
                      "partnerships": int(counts["partnerships"][row])})
    key = {"label": lambda i: i["label"].lower(), "countries": lambda i: (", ".join(i["countries"]), i["label"].lower())}.get(
        sort, lambda i: (i[sort], i["label"].lower()))
    items.sort(key=key, reverse=order == "desc")
    country_counts: dict[str, int] = {}
    industry_counts: dict[str, int] = {}
    for values in p.clusters["countries"]:
        for c in values:
            country_counts[c] = country_counts.get(c, 0) + 1
    for values in p.clusters["industries"]:
        for i in values:
            industry_counts[i] = industry_counts.get(i, 0) + 1
    facets = {
        "countries": [{"code": c, "count": n} for c, n in sorted(country_counts.items())],
        "industries": sorted(({**labelled(p, [i])[0], "count": n} for i, n in industry_counts.items()),
                             key=lambda x: x["label"].lower()),
    }
    return {"filters": {"country": countries, "industry": [ref(p.industries, i) for i in industry_rows]},
            "sort": sort, "order": order, "count": len(items), "clusters": items, "facets": facets}


# -- the profile -----------------------------------------------------------------------------

_P = facts.PREFIXES


def _first(triples, predicate: str, field: str = "value"):
    found = facts.values(triples, predicate)
    return found[0].get(field) if found else None


def _profile_facts(p: Projection, row: int) -> dict:
    iri = p.clusters["iri"].iat[row]
    triples = facts.describe(iri)
    refs = lambda predicate: [{"iri": o["iri"], "label": o["label"]} for o in facts.values(triples, predicate) if "iri" in o]  # noqa: E731
    stage = refs(_P["ckg"] + "stage")
    manager = refs(_P["ckg"] + "clusterOrganisation")
    return {
        **ref(p.clusters, row),
        "alt_labels": list(p.clusters["alt_labels"].iat[row]),
        "countries": refs(_P["ckg"] + "country"),
        "regions": refs(_P["ckg"] + "region"),
        "cities": [o["value"] for o in facts.values(triples, _P["schema"] + "addressLocality")],
        "industries": labelled(p, p.clusters["industries"].iat[row]),
        "founded": _first(triples, _P["schema"] + "foundingDate"),
        "stage": stage[0] if stage else None,
        "cluster_organisation": manager[0] if manager else None,
        "website": _first(triples, _P["schema"] + "url", "iri"),
        "member_count": _first(triples, _P["ckg"] + "memberCount"),
        "member_count_year": _first(triples, _P["ckg"] + "memberCountYear"),
        "sources": [o["iri"] for o in facts.values(triples, _P["dct"] + "source") if "iri" in o],
        "quotes": [o["value"] for o in facts.values(triples, _P["ckg"] + "sourceQuote")],
    }


def _members(p: Projection, affiliations: list[dict]) -> list[dict]:
    """The cluster's ``affiliations`` (:func:`facts.cluster_affiliations`) grouped by type."""
    index = p.index("organisation")
    groups: dict[str, dict] = {key: {"type": key, "heading": heading, "organisations": []}
                               for key, heading in facts.AFFILIATION_TYPES.values()}
    for item in affiliations:
        row = index.get(item["organisation"])
        organisation = (ref(p.organisations, row, "type", "country") if row is not None else
                        {"iri": item["organisation"], "id": local_name(item["organisation"]),
                         "label": local_name(item["organisation"]), "type": "", "country": ""})
        group = groups.setdefault(item["type_key"], {"type": item["type_key"], "heading": item["type_label"], "organisations": []})
        group["organisations"].append({"organisation": organisation, "role": item["role"], "start": item["start"],
                                       "end": item["end"], "sources": item["sources"], "quotes": item["quotes"]})
    for group in groups.values():
        group["organisations"].sort(key=lambda m: m["organisation"]["label"].lower())
    return [g for g in groups.values() if g["organisations"]]


def _competencies(p: Projection, members: np.ndarray) -> list[dict]:
    if not len(members):
        return []
    counts = np.asarray((p.org_competency[members] > 0).sum(axis=0)).ravel()
    rows = np.flatnonzero(counts)
    items = [{**ref(p.competencies, int(c)), "organisations": int(counts[c])} for c in rows]
    return sorted(items, key=lambda i: (-i["organisations"], i["label"].lower()))


def _needs(p: Projection, row: int, members: np.ndarray) -> list[dict]:
    declared = set(p.cluster_needs.getrow(row).indices.tolist())
    by_members = np.asarray((p.org_needs[members] > 0).sum(axis=0)).ravel() if len(members) else np.zeros(len(p.competencies))
    columns = sorted(declared | set(np.flatnonzero(by_members).tolist()))
    items = [{**ref(p.competencies, c), "declared_by_cluster": c in declared, "organisations": int(by_members[c])} for c in columns]
    return sorted(items, key=lambda i: (not i["declared_by_cluster"], -i["organisations"], i["label"].lower()))


def _partnerships(p: Projection, row: int) -> list[dict]:
    items = []
    for partnership in p.partnerships.itertuples():
        if row in partnership.clusters:
            items.append({"iri": partnership.iri, "label": partnership.label, "level": partnership.level,
                          "participants": [ref(p.clusters, c) for c in partnership.clusters]})
    return sorted(items, key=lambda i: i["label"].lower())


def cluster_drawing(p: Projection, row: int, members: list[dict], recommendations: dict) -> dict:
    """The cluster, its organisations (up to a cap), partner clusters and recommended ones.

    Its words (tooltip keys, edge labels) are in the request's language: it is drawn for a page only.
    """
    drawing = Drawing()
    focus = p.clusters["iri"].iat[row]
    drawing.add(node(focus, p.clusters["label"].iat[row], "cluster", entity_url(focus), size=12))
    shown = 0
    for group in members:
        for member in group["organisations"]:
            if shown >= GRAPH_MEMBER_CAP:
                break
            organisation = member["organisation"]
            drawing.add(node(organisation["iri"], organisation["label"], "organisation", entity_url(organisation["iri"]),
                             {gettext("tie"): gettext(group["heading"]).lower()}))
            drawing.connect(edge(focus, organisation["iri"], "members", gettext(group["heading"])))
            shown += 1
    for other, labels in p.partners_of(row).items():
        iri = p.clusters["iri"].iat[other]
        drawing.add(node(iri, p.clusters["label"].iat[other], "cluster", entity_url(iri),
                         {gettext("partners via"): ", ".join(labels)}, size=4))
        drawing.connect(edge(focus, iri, "partners", "; ".join(labels)))
    for item in recommendations.get("items", []):
        drawing.add(node(item["iri"], item["label"], "recommended", entity_url(item["iri"]), {gettext("why"): item["why"]}, size=4))
        drawing.connect(edge(focus, item["iri"], "recommended", gettext("recommended partner"), dashes=True))
    return drawing.to_json()


def _row(p: Projection, cluster_id: str) -> int:
    return p.resolve_cluster(cluster_id)


def _profile_data(p: Projection, row: int, read: dict) -> dict:
    members_rows = p.members_of(row)
    return {
        **read,
        "member_total": int(len(members_rows)),
        "competencies": _competencies(p, members_rows),
        "needs": _needs(p, row, members_rows),
        "partnerships": _partnerships(p, row),
        "gaps": find_gaps(p, row, lens="all", limit=10).to_json(),
        "recommendations": recommend_clusters(p, p.clusters["id"].iat[row], limit=5).to_json(),
    }


def _store_facts(p: Projection, row: int) -> tuple[str, dict]:
    """The profile's facts read from the store (its triples, the labels of what they name, its
    members' affiliations) and the data version they were read at (what names them).

    Kept per cluster for as long as no subject they name (the cluster, a region, an
    affiliation, a member, ...) is written and the cluster gains no member:
    :meth:`Projection.changed_since` says which were, so a write elsewhere — even one that
    changes the projection — does not read them again.
    """
    iri = p.clusters["iri"].iat[row]
    key = ("cluster-store-facts", iri)
    found = memo().find(key)
    if found is not None:
        checked_at, read_at, subjects, read, size = found
        changed = p.changed_since(checked_at)
        if changed is not None and subjects.isdisjoint(changed):
            if checked_at != p.version:  # still right now: check from here next time
                memo().put(key, (p.version, read_at, subjects, read, size), size=lambda entry: entry[-1])
            return read_at, read
    # The query workers see a write once it is done (on disk, workers told): while one is under
    # way the facts may be older than ``p``, so they count as read at the version before it.
    read_at = p.version if not state().writing else p.history[0][0] if p.history else None
    affiliations = facts.cluster_affiliations(iri)
    read = {"cluster": _profile_facts(p, row), "members": _members(p, affiliations)}
    if read_at is not None:
        subjects = frozenset(_strings(read) | {item["affiliation"] for item in affiliations} | {iri})
        memo().put(key, (read_at, read_at, subjects, read, 2 * len(json.dumps(read, default=str))),
                   size=lambda entry: entry[-1])
    return read_at or p.version, read


def _strings(value) -> set[str]:
    """Every string in nested dicts and lists: the IRIs the facts name among them."""
    if isinstance(value, str):
        return {value}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return set().union(*map(_strings, items))


def _sections(data: dict, drawing: dict) -> Markup:
    """The profile's sections below its facts (drawing, members, competencies, gaps, partners),
    rendered once per content and language: a write elsewhere in the graph (a new data version)
    leaves most profiles as they were, so their HTML is found again by its content's digest."""
    digest = hashlib.sha256(json.dumps([data, drawing], sort_keys=True, default=str).encode()).hexdigest()
    return memo().get(("cluster-sections", digest, current_language(), request.script_root),
                      lambda: render_block("pages/cluster.html", "sections", {"m": "pages/_macros.html"}, data=data,
                                           c=data["cluster"], graph=drawing, graph_cap=GRAPH_MEMBER_CAP),
                      size=len)


@twin_route(bp, "/clusters/<cluster_id>", "profile")
def profile(cluster_id: str):
    p = projection()
    row = _row(p, cluster_id)
    # the facts read from the store (see _store_facts) and the analyses (never changed in place)
    read_at, read = _store_facts(p, row)
    data = memo().get(("cluster-data", p.content, row, read_at), lambda: _profile_data(p, row, read),
                      size=lambda d: len(json.dumps(d, default=str)))
    if wants_json():
        return respond("pages/cluster.html", data)
    # its words are in the request's language
    language = current_language()
    drawing = memo().get(("cluster-drawing", answer_key(p, language), row, read_at, language, request.script_root),
                         lambda: cluster_drawing(p, row, data["members"], data["recommendations"]),
                         size=lambda d: len(json.dumps(d)))
    # (found by what it was made of: no digest of the content to compute)
    sections = memo().get(("cluster-sections-at", answer_key(p, language), row, read_at, language, request.script_root),
                          lambda: _sections(data, drawing), size=len)
    return respond("pages/cluster.html", data, graph=drawing, graph_cap=GRAPH_MEMBER_CAP, sections=sections)


@twin_route(bp, "/clusters/<cluster_id>/recommendations", "recommendations")
def recommendations(cluster_id: str):
    p = projection()
    row = _row(p, cluster_id)
    limit = arg_int("limit", 10, 1, 100)
    # a form sends "searched" and the box only when ticked; a bare URL includes them by default
    asked = "include_existing" in request.args or "searched" in request.args
    include_existing = arg_bool("include_existing") if asked else True
    data = recommend_clusters(p, p.clusters["id"].iat[row], limit=limit, include_existing=include_existing).to_json()
    return respond("pages/recommendations.html", data, limit=limit, include_existing=include_existing)


@twin_route(bp, "/clusters/<cluster_id>/applications", "applications")
def applications(cluster_id: str):
    p = projection()
    row = _row(p, cluster_id)
    limit = arg_int("limit", 10, 1, 100)
    scheme = request.args.get("scheme", "").strip() or None  # the analysis checks it
    data = find_applications(p, p.clusters["id"].iat[row], limit=limit, scheme=scheme).to_json()
    return respond("pages/applications.html", data, limit=limit, scheme=scheme, schemes=SCHEMES)


def cluster_url(cluster_id: str) -> str:
    return url_for("clusters.profile", cluster_id=cluster_id)
