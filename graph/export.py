"""Export the store: RDF dumps, GraphML/GEXF for Gephi, and the editable CSV sheets."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx
from rdflib import Graph

from clusterkg.graph.media_types import MEDIA_TYPES
from clusterkg.graph.networkx_view import store_to_networkx
from clusterkg.graph.sheets import write_sheets
from clusterkg.graph.store import KnowledgeStore
from clusterkg.ontology.namespace import PREFIXES as NAMESPACES

__all__ = ["EXPORT_FORMATS", "export_store"]

#: format name -> (what it is, written to a directory rather than a file)
EXPORT_FORMATS = {
    **{m.export: m.label for m in MEDIA_TYPES if m.export},
    "graphml": "GraphML of clusters, organisations, competencies and their relations (Gephi, yEd)",
    "gexf": "GEXF of the same graph (Gephi)",
    "csv": "the CSV sheets of data/README.md, one file per sheet, into a directory",
}
_RDF_EXPORTS = {m.export: m for m in MEDIA_TYPES if m.export}

PREFIXES = {name: NAMESPACES[name] for name in ("ckg", "id", "org", "skos", "schema", "dct")}


def export_store(store: KnowledgeStore, fmt: str, output: str | Path | None) -> bytes | dict[str, int]:
    """Export in ``fmt``; returns the bytes (file formats) or rows per sheet (``csv``).

    ``output`` is a file for file formats (``None``: only return the bytes) and a directory,
    required, for ``csv``.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    if fmt == "csv":
        if output is None:
            raise ValueError("the csv export writes one file per sheet: give a directory with --output")
        return write_sheets(_rdflib_graph(store), output)
    data = _export_bytes(store, fmt)
    if output is not None:
        Path(output).write_bytes(data)
    return data


def _export_bytes(store: KnowledgeStore, fmt: str) -> bytes:
    if fmt == "nt":
        return store.dump("application/n-triples")
    if fmt in _RDF_EXPORTS:  # through rdflib, for the project's prefixes
        graph = _rdflib_graph(store)
        rdflib_format = _RDF_EXPORTS[fmt].rdflib
        if rdflib_format == "json-ld":
            return graph.serialize(format="json-ld", context=PREFIXES, auto_compact=True).encode()
        return graph.serialize(format=rdflib_format).encode()
    network = store_to_networkx(store)
    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(network, buffer)
    else:
        nx.write_gexf(network, buffer)
    return buffer.getvalue()


def _rdflib_graph(store: KnowledgeStore) -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.parse(data=store.dump("application/n-triples"), format="nt")
    return graph
