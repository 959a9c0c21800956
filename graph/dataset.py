"""The bundled default dataset and ``init``: ontology plus real clusters, loaded once.

Running it twice leaves the same triples: every triple is a set member and the batch is
the same, so a second run adds nothing.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.compare import to_canonical_graph

from clusterkg.graph.history import file_digest
from clusterkg.graph.importer import ImportReport, import_files
from clusterkg.graph.store import KnowledgeStore
from clusterkg.ontology import ontology_graph

__all__ = ["default_sheet_paths", "initialise", "shipped_name", "stable_blank_nodes"]

GENID = "https://w3id.org/clusterkg/.well-known/genid/"


def default_sheet_paths() -> list[Path]:
    """The CSV sheets of the bundled dataset, as real files (works for wheels and checkouts)."""
    folder = resources.files("clusterkg.data") / "sheets"
    return sorted(Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".csv"))


def initialise(store: KnowledgeStore, *, with_default_data: bool = True, with_open_data: bool = False,
               progress: bool | None = None) -> ImportReport | None:
    """Load the ontology and (unless told not to) the default dataset into ``store``.

    ``with_open_data`` adds the shipped open data (``data/open/``) to the same validated,
    all-or-nothing batch; ``clusterkg init`` asks for it unless given ``--no-open-data``. Off by
    default here, so a caller gets the curated graph alone.
    """
    ontology_file = Path(str(resources.files("clusterkg.ontology") / "clusterkg.ttl"))
    store.insert_graph(stable_blank_nodes(ontology_graph()), files=[("ontology/clusterkg.ttl", file_digest(ontology_file))])
    if not with_default_data:
        return None
    sheets = default_sheet_paths()
    if not with_open_data:
        return import_files(sheets, store, progress=progress, names=[shipped_name(path) for path in sheets])
    from clusterkg.graph.ingest.shipped import decompress, open_data_paths

    shipped = open_data_paths()
    with tempfile.TemporaryDirectory(prefix="clusterkg-open-data-") as scratch:
        plain = [decompress(path, Path(scratch)) for path in shipped]
        return import_files(sheets + plain, store, progress=progress,
                            names=[shipped_name(path) for path in sheets + shipped])


def shipped_name(path: Path) -> str:
    """How the history names a file shipped in ``data/`` (``data/sheets/clusters.csv``): the same
    wherever the package is installed, and not the temporary copy a gzipped file is read from."""
    folder = Path(str(resources.files("clusterkg.data")))
    return (Path("data") / path.relative_to(folder)).as_posix()


def stable_blank_nodes(graph: Graph) -> Graph:
    """Replace blank nodes by IRIs derived from the graph's canonical form.

    Parsing a file twice gives new blank nodes each time, so loading the ontology again would
    add a second copy of every blank-node structure. Canonical labels (RDF graph
    canonicalisation in rdflib.compare) are the same on every parse; skolem IRIs built from
    them make ``init`` idempotent on every store, including servers that relabel blank nodes.
    """
    canonical = to_canonical_graph(graph)
    stable = Graph()
    for prefix, namespace in graph.namespaces():
        stable.bind(prefix, namespace)

    def fix(term):
        return URIRef(GENID + str(term)) if isinstance(term, BNode) else term

    for s, p, o in canonical:
        stable.add((fix(s), p, fix(o)))
    return stable
