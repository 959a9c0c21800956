"""A small N-Triples builder for the connectors: pyoxigraph terms, deduplicated, written sorted.

Connectors emit hundreds of thousands of triples; pyoxigraph's terms and serialiser escape
them correctly and fast, and sorting the lines makes a rebuilt file byte-identical (so the
shipped files only change when the data does).

>>> out = Triples()
>>> out.add(DATA["org/x"], RDFS.label, text("X GmbH"))
>>> out.add(DATA["org/x"], RDFS.label, text("X GmbH"))
>>> len(out)
1
>>> out.ntriples().decode()
'<https://w3id.org/clusterkg/id/org/x> <http://www.w3.org/2000/01/rdf-schema#label> "X GmbH" .\\n'
"""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from clusterkg.ontology.namespace import DATA, DCT, RDF, RDFS, XSD  # noqa: F401 - DATA, RDFS for doctests

__all__ = ["Triples", "iri", "text", "english", "typed", "decimal", "integer", "date", "describe_source", "describe_dataset"]


def iri(value: str | URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(value))


def text(value: str) -> ox.Literal:
    return ox.Literal(value)


def english(value: str) -> ox.Literal:
    return ox.Literal(value, language="en")


def typed(value: str, datatype: URIRef) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(str(datatype)))


def decimal(value: Decimal) -> ox.Literal:
    return typed(format(value.normalize(), "f"), XSD.decimal)


def integer(value: int) -> ox.Literal:
    return typed(str(value), XSD.integer)


def date(value: str) -> ox.Literal:
    return typed(value, XSD.date)


class Triples:
    """A set of triples with helpers for the provenance every open-data node carries."""

    def __init__(self) -> None:
        self._triples: set[ox.Triple] = set()

    def add(self, subject, predicate, obj) -> None:
        subject = subject if isinstance(subject, ox.NamedNode) else iri(subject)
        predicate = predicate if isinstance(predicate, ox.NamedNode) else iri(predicate)
        if isinstance(obj, URIRef):
            obj = iri(obj)
        self._triples.add(ox.Triple(subject, predicate, obj))

    def __len__(self) -> int:
        return len(self._triples)

    def __iter__(self):
        return iter(self._triples)

    def update(self, other: "Triples") -> None:
        self._triples |= other._triples

    def subjects(self) -> set[str]:
        return {t.subject.value for t in self._triples}

    def ntriples(self) -> bytes:
        """Sorted canonical N-Triples."""
        lines = ox.serialize(self._triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8").splitlines(keepends=True)
        return "".join(sorted(lines)).encode("utf-8")

    def write(self, path: str | Path) -> Path:
        """Write N-Triples to ``path`` (gzip-compressed, reproducibly, when it ends in ``.gz``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.ntriples()
        if path.suffix == ".gz":
            with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped:
                zipped.write(data)
        else:
            path.write_bytes(data)
        return path


def describe_source(out: Triples, node, record_page: str, dataset) -> None:
    """The provenance of one open-data node: its record page, the dataset and its licence."""
    out.add(node, DCT.source, iri(record_page))
    out.add(node, DCT.license, iri(dataset.licence))
    out.add(node, DCT.isPartOf, iri(dataset.iri))


def describe_dataset(out: Triples, dataset) -> None:
    """The dataset node: title, licence, publisher's page and the repository copies read."""
    from clusterkg.ontology.namespace import DCAT, PROV

    node = iri(dataset.iri)
    out.add(node, RDF.type, DCAT.Dataset)
    out.add(node, RDF.type, PROV.Entity)
    out.add(node, DCT.title, english(dataset.title))
    out.add(node, DCT.license, iri(dataset.licence))
    out.add(node, DCT.publisher, text(dataset.publisher))
    out.add(node, DCAT.landingPage, iri(dataset.landing_page))
    out.add(node, DCT.source, iri(dataset.landing_page))
    for copy in dataset.copies:
        out.add(node, PROV.wasDerivedFrom, iri(copy))
    if dataset.note:
        out.add(node, DCT.description, english(dataset.note))
