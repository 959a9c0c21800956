"""Partner search: a cluster's gaps with evidence, the ones ticked searched for, partners ranked.

Everything is in the GET parameters, so the URL restores the page:

``cluster``            the cluster (id, IRI or name)
``gap`` (repeated)     ticked gap competency ids; absent (and no ``searched``) = every gap ticked
``searched``           set by the form, so "nothing ticked" differs from "first visit"
``pick``               "show its gaps" was pressed: every gap ticked, whatever ``gap`` says
``gaps``               how many gaps to offer (1–50, default 20)
``country``, ``region``, ``org_type``, ``industry``, ``exclude`` (repeated), ``domestic``
                       the filters of :class:`~clusterkg.graph.analysis.partners.PartnerFilters`
``prefer_domestic``, ``prefer_partners``   preference bonuses (0–5)
``limit``              partners shown (1–100, default 20)

JSON twin (``/partner-search.json`` or ``Accept: application/json``): ``PartnerSearch.to_json()``
(see :mod:`clusterkg.graph.analysis.partners`) with three more keys::

    "offered": GapReport.to_json(),   # every gap offered for ticking (find_gaps, lens "all")
    "selected": [str],                # ids of the ticked gaps searched for
    "sparql": str | null              # an equivalent ranking query (see partner_sparql)

No ``cluster``, or nothing ticked, is a 400 for JSON and CSV; the HTML page shows the form.
``/partner-search.csv`` answers ``PartnerSearch.to_frame()`` as CSV.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from flask import Response, request, url_for
from flask_babel import gettext

from clusterkg.graph.analysis.gaps import find_gaps
from clusterkg.graph.analysis.templates import list_templates
from clusterkg.graph.analysis.partners import (
    ORGANISATION_TYPE_NAMES, PartnerFilters, PartnerPreferences, search_partners,
)
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.projection import Projection
from clusterkg.webapp.i18n import collated, country, current_language, name
from clusterkg.webapp.pages.common import (
    Lazy, answer_key, arg_bool, arg_float, arg_int, arg_list, entity_url, json_answer, json_bytes, memo, page_blueprint,
    parameter, projection, ref, respond, twin_route, wants_json,
)
from clusterkg.webapp.pages.drawing import Drawing, edge, node
from clusterkg.webapp.pages.partner_sparql import partner_ranking_query
from clusterkg.webapp.i18n import say

__all__ = ["bp", "run_search"]

bp = page_blueprint("partner_search", __name__)

GRAPH_PARTNER_CAP = 25


def _form_choices(p: Projection) -> dict:
    """The form's options, each list in the order it reads in the page's language (collated by name)."""
    clusters = collated((ref(p.clusters, i, "countries") for i in range(len(p.clusters))), key=name)
    countries = collated({c for c in p.organisations["country"] if c}, key=country)
    regions = sorted({r for r in p.organisations["region"] if r})
    return {"clusters": clusters, "templates": [{"id": t.id, "label": t.label} for t in list_templates()],
            "countries": countries, "org_types": list(ORGANISATION_TYPE_NAMES),
            "regions": collated(({"iri": r, "id": r.rsplit("/", 1)[-1], "label": p.labels.get(r, r.rsplit("/", 1)[-1])}
                                 for r in regions), key=name),
            "industries": collated((ref(p.industries, i) for i in range(len(p.industries))), key=name)}


def run_search(p: Projection) -> dict:
    """Read the parameters, find the gaps and (when something is ticked) the partners.

    Returns ``{"asked", "row", "offered", "selected", "search", "sparql", "message"}``;
    ``search`` is ``None`` when there is nothing to search (no cluster, nothing ticked).
    """
    cluster = request.args.get("cluster", "").strip()
    filters = PartnerFilters(
        countries=tuple(c.upper() for c in arg_list("country")), domestic=arg_bool("domestic"),
        regions=tuple(arg_list("region")), org_types=tuple(arg_list("org_type")),
        industries=tuple(arg_list("industry")), exclude_clusters=tuple(arg_list("exclude")))
    preferences = PartnerPreferences(prefer_domestic=arg_float("prefer_domestic", 0.0, 0.0, 5.0),
                                     prefer_partnering_clusters=arg_float("prefer_partners", 0.25, 0.0, 5.0),
                                     prefer_track_record=arg_float("prefer_track_record", 0.25, 0.0, 5.0))
    limit = arg_int("limit", 20, 1, 100)
    gap_limit = arg_int("gaps", 20, 1, 50)
    template = request.args.get("template", "").strip() or None
    asked = {"cluster": cluster, "template": template, "filters": filters.to_json(), "preferences": preferences.to_json(),
             "limit": limit, "gaps": gap_limit}
    result = {"asked": asked, "row": None, "offered": None, "selected": [], "search": None, "sparql": None, "message": None}
    if not cluster:
        result["message"] = gettext("choose a cluster to see its gaps")
        return result
    row = p.resolve_cluster(cluster)  # an unknown cluster is a 404 with the closest names
    result["row"] = row
    with parameter("template"):
        report = find_gaps(p, row, lens="all", template=template, limit=gap_limit)
    result["offered"] = report
    offered = [g.competency_id for g in report.combined]
    if "pick" in request.args:  # "show its gaps" after choosing a cluster: start with every gap ticked
        ticked = offered
    elif "gap" in request.args or "searched" in request.args:
        ticked = arg_list("gap")
    else:
        ticked = offered
    unknown = [t for t in ticked if t not in offered]
    if unknown:
        raise InvalidInput(reason(N_("parameter 'gap': %(unknown)s is not among the %(count)s gaps offered for %(cluster)s (%(offered)s)"),
                                  unknown=", ".join(unknown), count=len(offered), cluster=p.clusters["label"].iat[row],
                                  offered=", ".join(offered) or reason(N_("none"))))
    result["selected"] = ticked
    if offered and not ticked:
        result["message"] = gettext("no gap ticked: tick at least one gap competency to search partners for it")
        return result
    selected = replace(report, combined=tuple(g for g in report.combined if g.competency_id in ticked))
    with parameter("filters"):
        search = search_partners(p, row, filters=filters, preferences=preferences, limit=limit, gaps=selected)
        exclude_iris = [p.clusters["iri"].iat[p.resolve_cluster(c)] for c in filters.exclude_clusters]
        industry_iris = [p.industries["iri"].iat[p.resolve_industry(i)] for i in filters.industries]
    result["search"] = search
    if selected.combined:
        gap = [(c["iri"], c["weight"]) for c in search.to_json()["gap"]["competencies"]]
        result["sparql"] = partner_ranking_query(p, row, gap, filters, exclude_iris, industry_iris)
    return result


def _body(result: dict) -> dict:
    if result["search"] is None:
        raise InvalidInput(result["message"] or "nothing to search")
    data = result["search"].to_json()
    data["offered"] = result["offered"].to_json()
    data["selected"] = result["selected"]
    data["sparql"] = result["sparql"]
    return data


def result_drawing(p: Projection, data: dict) -> dict:
    """The cluster, the gap competencies searched for, the partners covering them and their clusters
    (its words in the request's language: it is drawn for the page only)."""
    drawing = Drawing()
    focus = data["cluster"]["iri"]
    drawing.add(node(focus, data["cluster"]["label"], "cluster", entity_url(focus), size=12))
    for competency in data["gap"]["competencies"]:
        drawing.add(node(competency["iri"], competency["label"], "competency", entity_url(competency["iri"]),
                         {gettext("gap of"): data["cluster"]["label"]}, size=3))
        drawing.connect(edge(focus, competency["iri"], "lacks", gettext("lacks"), dashes=True))
    for partner in data["partners"][:GRAPH_PARTNER_CAP]:
        organisation = partner["organisation"]
        drawing.add(node(organisation["iri"], organisation["label"], "organisation", entity_url(organisation["iri"]),
                         {gettext("why"): say(partner["why"]), gettext("evidence"): ", ".join(partner["evidence"]),
                          **({gettext("tied to"): gettext("no cluster")} if partner["outside_clusters"] else {})}))
        for cover in partner["covers"]:
            drawing.connect(edge(organisation["iri"], cover["competency"]["iri"], "has", gettext("has %(competency)s", competency=cover["competency"]["label"])))
        for cluster in partner["clusters"]:
            drawing.add(node(cluster["iri"], cluster["label"], "cluster", entity_url(cluster["iri"]), size=4))
            drawing.connect(edge(organisation["iri"], cluster["iri"], "tied to", gettext("tied to %(cluster)s", cluster=cluster["label"])))
    return drawing.to_json()


@twin_route(bp, "/partner-search", "page")
def page():
    p = projection()
    if wants_json():  # a pure function of the projection, the parameters and the language: kept encoded
        language = current_language()
        response = json_answer(memo().get(("partner-search", answer_key(p, language), request.query_string, language),
                                          lambda: json_bytes(_body(run_search(p))), size=len))
        response.headers["Vary"] = "Accept"  # (as respond() says)
        return response
    result = run_search(p)
    data = _body(result) if result["search"] is not None else {}
    query = request.query_string.decode("ascii", "replace")
    sparql_link = url_for("sparql.endpoint") + "?" + urlencode({"query": result["sparql"]}) if result["sparql"] else None
    return respond("pages/partner_search.html", data, result=result, choices=_form_choices(p),
                   offered=result["offered"].to_json() if result["offered"] is not None else None,
                   csv_link=url_for("partner_search.csv") + ("?" + query if query else ""),
                   sparql_link=sparql_link,
                   graph=Lazy(lambda: result_drawing(p, data)) if data.get("partners") else None)


@bp.route("/partner-search.csv", endpoint="csv")
def csv_download():
    p = projection()
    result = run_search(p)
    if result["search"] is None:
        raise InvalidInput(result["message"] or "nothing to search")
    name = p.clusters["id"].iat[result["row"]]
    text = result["search"].to_frame().to_csv(index=False)
    return Response(text, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="partners-{name}.csv"'})
