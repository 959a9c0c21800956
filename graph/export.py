"""Export the store: RDF dumps, GraphML/GEXF for Gephi, and the editable CSV sheets."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

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


def export_store(store: KnowledgeStore, fmt: str, output: str | Path | BinaryIO) -> dict[str, int] | None:
    """Export in ``fmt`` to ``output``: a file name or a binary stream for file formats, a
    directory for ``csv`` (returns the rows per sheet).

    N-Triples, Turtle and RDF/XML are streamed from an embedded store, so exporting a graph of
    any size needs no more memory than a few rows; JSON-LD (compacted with the project's
    prefixes by rdflib) and the network formats are built in memory first.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    if fmt == "csv":
        if not isinstance(output, (str, Path)):
            raise ValueError("the csv export writes one file per sheet: give a directory with --output")
        return write_sheets(_rdflib_graph(store), output)
    if isinstance(output, (str, Path)):
        with open(output, "wb") as stream:
            _export_to(store, fmt, stream)
    else:
        _export_to(store, fmt, output)
    return None


def _export_to(store: KnowledgeStore, fmt: str, output: BinaryIO) -> None:
    if fmt in _RDF_EXPORTS and fmt != "jsonld":  # streamed, with the project's prefixes
        store.dump_to(output, _RDF_EXPORTS[fmt].media_type, PREFIXES)
        return
    if fmt == "jsonld":  # rdflib, for a context that compacts IRIs with the project's prefixes
        graph = _rdflib_graph(store)
        output.write(graph.serialize(format="json-ld", context=PREFIXES, auto_compact=True).encode())
        return
    network = store_to_networkx(store)
    if fmt == "graphml":
        nx.write_graphml(network, output)
    else:
        nx.write_gexf(network, output)


def _rdflib_graph(store: KnowledgeStore) -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.parse(data=store.dump("application/n-triples"), format="nt")
    return graph
