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

import re
import unicodedata

from flask import request, url_for

from clusterkg.graph.stats import CLUSTER_COUNTRIES, ORDER, STATS_QUERY
from clusterkg.webapp.extension import state
from clusterkg.webapp.pages import reads
from clusterkg.webapp.pages.common import page_blueprint, projection, respond, twin_route

__all__ = ["bp", "search"]

bp = page_blueprint("pages", __name__)

RESULTS_PER_KIND = 25
TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def fold(text: str) -> str:
    """Lower-case ASCII words, so "Medicon" finds "medicon-valley" and "Ségur" finds "segur".

    >>> fold("  Pôle Optique / Rhône-Alpes ")
    'pole optique rhone alpes'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", ascii_text).strip()


def search(p, text: str, limit: int = RESULTS_PER_KIND) -> dict[str, list[dict]]:
    """Clusters, organisations and competencies whose name, other names or id contain ``text``.

    Names starting with the text come first, then by name.
    """
    wanted = fold(text)
    results: dict[str, list[dict]] = {"clusters": [], "organisations": [], "competencies": []}
    if not wanted:
        return results
    frames = {"clusters": (p.clusters, "clusters.profile", "cluster_id"),
              "organisations": (p.organisations, "entities.organisation", "organisation_id"),
              "competencies": (p.competencies, "entities.competency", "competency_id")}
    for kind, (frame, endpoint, argument) in frames.items():
        alts = frame["alt_labels"] if "alt_labels" in frame else [()] * len(frame)
        hits = []
        for row, (label, identifier, others) in enumerate(zip(frame["label"], frame["id"], alts)):
            names = [fold(label), fold(identifier)] + [fold(a) for a in others]
            if any(wanted in name for name in names):
                hits.append((not fold(label).startswith(wanted), label.lower(), row))
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
        return " · ".join(x for x in (p.organisations["type"].iat[row].replace("_", " "), p.organisations["country"].iat[row]) if x)
    broader = int(p.competencies["broader"].iat[row])
    return f"under {p.competencies['label'].iat[broader]}" if broader >= 0 else "top competency"


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

