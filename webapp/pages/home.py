"""The home page: a search over clusters, organisations and competencies, counts, entry points.

JSON twin (``/index.json`` or ``/`` with ``Accept: application/json``)::

    {
      "query": str,                               # the search text ("" when none)
      "stats": {kind: int},                       # as clusterkg.graph.stats.graph_stats
      "results": {"clusters" | "organisations" | "competencies":
                  [{"iri", "id", "label", "url", "detail": str}]},   # at most 25 each
      "total": int                                # results found over the three kinds
    }
"""

from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext

from clusterkg.graph.names import fold_name, spelling_key
from clusterkg.graph.stats import CLUSTER_COUNTRIES, ORDER, STATS_QUERY
from clusterkg.webapp.extension import state
from clusterkg.webapp.i18n import LANGUAGES, localised_names, term
from clusterkg.webapp.pages import reads
from clusterkg.webapp.pages.common import page_blueprint, projection, respond, twin_route

__all__ = ["bp", "search"]

bp = page_blueprint("pages", __name__)

RESULTS_PER_KIND = 25
TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


KINDS = {"clusters": ("clusters", "clusters.profile", "cluster_id"),
         "organisations": ("organisations", "entities.organisation", "organisation_id"),
         "competencies": ("competencies", "entities.competency", "competency_id")}


def _names(p) -> dict[str, list[tuple[str, list[str], list[str]]]]:
    """Per kind and row: (folded label, folds, spelling keys) of its name, other names and id.

    Folding every name (any script to ASCII) costs more than a request should pay, so it is
    done once per data version.
    """
    cache = state().__dict__.setdefault("_home_names", {})
    if p.version not in cache:
        index = {}
        localised = [localised_names(code) for code in LANGUAGES[1:]]  # names in the other languages ("…"@ru)
        for kind, (attribute, _, _) in KINDS.items():
            frame = getattr(p, attribute)
            alts = frame["alt_labels"] if "alt_labels" in frame else [()] * len(frame)
            rows = []
            for label, identifier, others, iri in zip(frame["label"], frame["id"], alts, frame["iri"]):
                names = [label, identifier, *others, *(names_in[iri] for names_in in localised if iri in names_in)]
                rows.append((fold_name(label), [fold_name(n) for n in names], [spelling_key(n) for n in names]))
            index[kind] = rows
        cache.clear()
        cache[p.version] = index
    return cache[p.version]


def search(p, text: str, limit: int = RESULTS_PER_KIND) -> dict[str, list[dict]]:
    """Clusters, organisations and competencies whose name, other names or id contain ``text``,
    in any script: "фармацевтический", "Tekhnopolis" and "Technopolis" all find what they name.

    Names starting with the text come first, then names holding it as written (accents and
    case aside), then those that only match another spelling of it (:func:`spelling_key`);
    within each, by name.
    """
    wanted, wanted_key = fold_name(text), spelling_key(text)
    results: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    if not wanted:
        return results
    for kind, rows in _names(p).items():
        attribute, endpoint, argument = KINDS[kind]
        frame = getattr(p, attribute)
        hits = []
        for row, (label, folds, keys) in enumerate(rows):
            if any(wanted in name for name in folds):
                hits.append((0 if label.startswith(wanted) else 1, label, row))
            elif any(wanted_key in key for key in keys):
                hits.append((2, label, row))
        for _, _, row in sorted(hits)[:limit]:
            item = {"iri": frame["iri"].iat[row], "id": frame["id"].iat[row], "label": frame["label"].iat[row],
                    "url": url_for(endpoint, **{argument: frame["id"].iat[row]})}
            item["detail"] = _detail(p, kind, row)
            results[kind].append(item)
    return results


def _detail(p, kind: str, row: int) -> str:
    if kind == "clusters":
        return ", ".join(p.clusters["countries"].iat[row])
    if kind == "organisations":
        return " · ".join(x for x in (term(p.organisations["type"].iat[row]), p.organisations["country"].iat[row]) if x)
    broader = int(p.competencies["broader"].iat[row])
    if broader < 0:
        return gettext("top competency")
    return gettext("under %(competency)s", competency=p.competencies["label"].iat[broader])


def stats(version: str) -> dict[str, int]:
    """``clusterkg stats``'s counts through the bounded path, counted once per data version."""
    cache = state().__dict__.setdefault("_home_stats", {})
    if version not in cache:
        counts = {str(what): int(n) for what, n in reads.select(STATS_QUERY)}
        result = {what: counts.get(what, 0) for what in ORDER}
        result["countries with clusters"] = int(reads.select(CLUSTER_COUNTRIES).rows[0][0])
        result["triples"] = int(reads.select(TRIPLES).rows[0][0])
        cache.clear()
        cache[version] = result
    return cache[version]


@twin_route(bp, "/", "home")
def home():
    text = request.args.get("q", "").strip()
    p = projection()
    results = search(p, text)
    data = {"query": text, "stats": stats(p.version), "results": results,
            "total": sum(len(items) for items in results.values())}
    return respond("pages/home.html", data)

