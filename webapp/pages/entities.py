"""Organisation and competency pages, and a generic page for any other resource of the graph.

JSON twins (``.json`` or ``Accept: application/json``), documented dicts:

``/organisations/<id>``::

    {"organisation": {"iri", "id", "label", "type", "country", "region": {"iri", "label"} | null,
                      "cities": [str], "website": str | null, "sources": [str], "quotes": [str]},
     "clusters": [{"cluster": {"iri", "id", "label", "countries": [str]}, "type": str, "heading": str,
                   "role": str | null, "start": str | null, "end": str | null, "sources": [str], "quotes": [str]}],
     "competencies": [{"competency": {"iri", "id", "label"}, "level": str | null, "sources": [str], "quotes": [str]}],
     "needs": [{"iri", "id", "label"}],
     "resources": [{"iri", "label", "kind", "competencies": [{"iri", "id", "label"}]}],
     "developments": [{"iri", "label", "competencies": [...], "industries": [...]}]}

``/competencies/<id>``::

    {"competency": {"iri", "id", "label", "alt_labels": [str], "definition": str | null, "sources": [str]},
     "broader": [{"iri", "id", "label"}],        # from the top down to the direct broader one
     "narrower": [{"iri", "id", "label"}],       # direct children
     "industries": [{"iri", "id", "label"}],     # where it is applied (ckg:appliedIn)
     "holders": [{"organisation": {"iri", "id", "label", "type", "country"},
                  "via": [{"iri", "id", "label"}]}],   # its own claims: this one or narrower ones
     "clusters": [{"cluster": {"iri", "id", "label", "countries": [str]}, "organisations": int}],
     "needed_by": {"clusters": [{"iri", "id", "label"}], "organisations": [{"iri", "id", "label"}]},
     "resources": [{"iri", "label", "kind", "organisation": {"iri", "id", "label"}}]}

``/resource?iri=...``::

    {"iri": str, "label": str | null, "page": str | null,   # page: the dedicated page, if any
     "triples": [{"predicate": {"iri", "label"}, "object": {"iri", "label"} | {"value", "language", "datatype"}}],
     "truncated": bool,                                      # the row cap (CLUSTERKG_MAX_ROWS) cut the triples
     "incoming": [{"subject": {"iri", "label"}, "predicate": {"iri", "label"}}]}
"""

from __future__ import annotations

import numpy as np
from flask import request

from clusterkg.graph.errors import InvalidInput, NotFound
from clusterkg.graph.reasons import N_, reason as say_reason
from clusterkg.graph.iris import iri_error
from clusterkg.graph.projection import Projection, local_name
from clusterkg.webapp.pages import facts
from clusterkg.webapp.pages.common import entity_url, labelled, page_blueprint, projection, ref, respond, twin_route

__all__ = ["bp", "subtree"]

bp = page_blueprint("entities", __name__)
_P = facts.PREFIXES


def _refs(triples, predicate: str) -> list[dict]:
    return [{"iri": o["iri"], "label": o["label"]} for o in facts.values(triples, predicate) if "iri" in o]


@twin_route(bp, "/organisations/<organisation_id>", "organisation")
def organisation(organisation_id: str):
    p = projection()
    row = p.resolve_organisation(organisation_id)
    iri = p.organisations["iri"].iat[row]
    triples = facts.describe(iri)
    region = _refs(triples, _P["ckg"] + "region")
    websites = _refs(triples, _P["schema"] + "url")
    cluster_index = p.index("cluster")
    clusters = []
    for item in facts.organisation_affiliations(iri):
        c = cluster_index.get(item["cluster"])
        cluster = ref(p.clusters, c, "countries") if c is not None else {"iri": item["cluster"], "id": local_name(item["cluster"]), "label": local_name(item["cluster"]), "countries": []}
        clusters.append({"cluster": cluster, "type": item["type_key"], "heading": item["type_label"], "role": item["role"],
                         "start": item["start"], "end": item["end"], "sources": item["sources"], "quotes": item["quotes"]})
    clusters.sort(key=lambda c: c["cluster"]["label"].lower())
    competency_index = p.index("competency")
    competencies = []
    for claim in facts.organisation_claims(iri):
        k = competency_index.get(claim["competency"])
        competency = ref(p.competencies, k) if k is not None else labelled(p, [claim["competency"]])[0]
        competencies.append({"competency": competency, "level": claim["level"], "sources": claim["sources"], "quotes": claim["quotes"]})
    competencies.sort(key=lambda c: c["competency"]["label"].lower())
    needs = [ref(p.competencies, int(k)) for k in p.org_needs.getrow(row).indices]
    resources = [{"iri": r.iri, "label": r.label, "kind": r.kind, "competencies": [ref(p.competencies, k) for k in r.competencies]}
                 for r in p.resources.itertuples() if r.organisation == row]
    developments = [{"iri": d.iri, "label": d.label, "competencies": [ref(p.competencies, k) for k in d.competencies],
                     "industries": labelled(p, d.industries)} for d in p.developments.itertuples() if d.organisation == row]
    data = {
        "organisation": {**ref(p.organisations, row, "type", "country"), "region": region[0] if region else None,
                         "cities": [o["value"] for o in facts.values(triples, _P["schema"] + "addressLocality")],
                         "website": websites[0]["iri"] if websites else None,
                         "sources": [o["iri"] for o in facts.values(triples, _P["dct"] + "source") if "iri" in o],
                         "quotes": [o["value"] for o in facts.values(triples, _P["ckg"] + "sourceQuote")]},
        "clusters": clusters, "competencies": competencies, "needs": needs,
        "resources": resources, "developments": developments,
    }
    return respond("pages/organisation.html", data)


def subtree(p: Projection, column: int) -> np.ndarray:
    """The competency and every narrower one, at any depth."""
    broader = p.competencies["broader"].to_numpy()
    members = {column}
    frontier = [column]
    while frontier:
        children = np.flatnonzero(np.isin(broader, frontier))
        frontier = [int(c) for c in children if int(c) not in members]
        members.update(frontier)
    return np.array(sorted(members), dtype=np.int64)


@twin_route(bp, "/competencies/<competency_id>", "competency")
def competency(competency_id: str):
    p = projection()
    column = p.resolve_competency(competency_id)
    iri = p.competencies["iri"].iat[column]
    triples = facts.describe(iri)
    broader = p.competencies["broader"].to_numpy()
    chain, up = [], int(broader[column])
    while up >= 0 and len(chain) < 50:
        chain.insert(0, ref(p.competencies, up))
        up = int(broader[up])
    narrower = sorted((ref(p.competencies, int(c)) for c in np.flatnonzero(broader == column)), key=lambda r: r["label"].lower())
    below = subtree(p, column)
    claims = p.org_competency[:, below].tocsr()
    holders = []
    for o in np.flatnonzero(np.diff(claims.indptr)):
        via = below[claims.indices[claims.indptr[o]:claims.indptr[o + 1]]]
        holders.append({"organisation": ref(p.organisations, int(o), "type", "country"),
                        "via": [ref(p.competencies, int(k)) for k in via]})
    holders.sort(key=lambda h: (h["via"][0]["iri"] != iri, h["organisation"]["label"].lower()))
    in_clusters = p.cluster_competency[:, column].toarray().ravel()
    ties = (p.cluster_org > 0).astype(np.float64) @ (p.org_competency_up[:, column] > 0).astype(np.float64)
    counts = np.asarray(ties.todense()).ravel()
    clusters = sorted(({"cluster": ref(p.clusters, int(c), "countries"), "organisations": int(counts[c])}
                       for c in np.flatnonzero(in_clusters > 0)), key=lambda c: (-c["organisations"], c["cluster"]["label"].lower()))
    below_set = set(below.tolist())
    data = {
        "competency": {**ref(p.competencies, column), "alt_labels": list(p.competencies["alt_labels"].iat[column]),
                       "definition": next((o["value"] for o in facts.values(triples, _P["skos"] + "definition")), None),
                       "sources": [o["iri"] for o in facts.values(triples, _P["dct"] + "source") if "iri" in o]},
        "broader": chain,
        "narrower": narrower,
        "industries": sorted(labelled(p, p.competencies["industries"].iat[column]), key=lambda r: r["label"].lower()),
        "holders": holders,
        "clusters": clusters,
        "needed_by": {"clusters": [ref(p.clusters, int(c)) for c in p.cluster_needs[:, column].nonzero()[0]],
                      "organisations": [ref(p.organisations, int(o)) for o in p.org_needs[:, column].nonzero()[0]]},
        "resources": [{"iri": r.iri, "label": r.label, "kind": r.kind, "organisation": ref(p.organisations, r.organisation)}
                      for r in p.resources.itertuples() if below_set & set(r.competencies)],
    }
    return respond("pages/competency.html", data)


@twin_route(bp, "/resource", "resource")
def resource():
    iri = request.args.get("iri", "").strip()
    if not iri:
        raise InvalidInput(say_reason(N_("parameter 'iri' is required: the IRI of a resource of the graph")))
    reason = iri_error(iri)
    if reason is not None:
        raise InvalidInput(say_reason(N_("parameter 'iri' is not a valid IRI: %(iri)s (%(problem)s)"), iri=repr(iri), problem=reason))
    triples = facts.describe(iri)
    if not triples:
        raise NotFound("resource", iri)
    names = [t["object"] for t in triples
             if t["predicate"]["iri"] in (_P["rdfs"] + "label", _P["skos"] + "prefLabel") and "value" in t["object"]]
    # the English name first (untagged or @en): a concept may have one in each language
    labels = [n["value"] for n in sorted(names, key=lambda n: n.get("language") not in (None, "en"))]
    page = entity_url(iri)
    data = {"iri": iri, "label": labels[0] if labels else None,
            "page": None if page.startswith("/resource") else page,
            "triples": triples, "truncated": triples.truncated, "incoming": facts.incoming(iri)}
    return respond("pages/resource.html", data)
