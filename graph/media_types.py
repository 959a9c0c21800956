"""The one table of media types: what each is called on the wire, in files, in pyoxigraph and rdflib.

Every other table (the store's formats, the importer's file suffixes, the Graph Store's input
types, content negotiation, the export formats, the service description) is derived from
:data:`MEDIA_TYPES`; to support a format, add a row here.

>>> GRAPH_MEDIA_TYPES["text/turtle"]
<RdfFormat Turtle>
>>> RDF_SUFFIXES[".jsonld"]
<RdfFormat JSON-LD>
>>> [m.media_type for m in MEDIA_TYPES if m.export == "nt"]
['application/n-triples']
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

__all__ = [
    "GRAPH_MEDIA_TYPES",
    "MEDIA_TYPES",
    "RDF_SUFFIXES",
    "RDFLIB_FORMATS",
    "RESULTS_MEDIA_TYPES",
    "MediaType",
    "bare",
]


@dataclass(frozen=True)
class MediaType:
    """One media type and its names elsewhere."""

    media_type: str
    ox_format: ox.RdfFormat | ox.QueryResultsFormat
    content_type: str  # the Content-Type we answer with
    label: str = ""
    suffixes: tuple[str, ...] = ()  # file suffixes the importer reads in this format
    rdflib: str | None = None  # rdflib's parser / serializer name
    export: str | None = None  # the name `clusterkg export --format` gives it
    format_iri: str | None = None  # local name under http://www.w3.org/ns/formats/
    alias_of: str | None = None  # a synonym accepted on input and in Accept, never written

    @property
    def is_graph(self) -> bool:
        return isinstance(self.ox_format, ox.RdfFormat)

    @property
    def canonical(self) -> str:
        return self.alias_of or self.media_type


#: Rows of each kind in preference order: the first is the default answer of its kind.
MEDIA_TYPES: tuple[MediaType, ...] = (
    MediaType("application/sparql-results+json", ox.QueryResultsFormat.JSON,
              "application/sparql-results+json", "SPARQL JSON results", format_iri="SPARQL_Results_JSON"),
    MediaType("application/json", ox.QueryResultsFormat.JSON, "application/sparql-results+json",
              alias_of="application/sparql-results+json"),
    MediaType("application/sparql-results+xml", ox.QueryResultsFormat.XML,
              "application/sparql-results+xml; charset=utf-8", "SPARQL XML results", format_iri="SPARQL_Results_XML"),
    MediaType("application/xml", ox.QueryResultsFormat.XML, "application/sparql-results+xml; charset=utf-8",
              alias_of="application/sparql-results+xml"),
    MediaType("text/csv", ox.QueryResultsFormat.CSV, "text/csv; charset=utf-8", "SPARQL CSV results",
              format_iri="SPARQL_Results_CSV"),
    MediaType("text/tab-separated-values", ox.QueryResultsFormat.TSV, "text/tab-separated-values; charset=utf-8",
              "SPARQL TSV results", format_iri="SPARQL_Results_TSV"),
    MediaType("text/turtle", ox.RdfFormat.TURTLE, "text/turtle; charset=utf-8", "RDF Turtle",
              (".ttl", ".turtle"), "turtle", "turtle", "Turtle"),
    MediaType("application/n-triples", ox.RdfFormat.N_TRIPLES, "application/n-triples", "RDF N-Triples",
              (".nt", ".ntriples"), "nt", "nt", "N-Triples"),
    MediaType("application/ld+json", ox.RdfFormat.JSON_LD, "application/ld+json", "RDF JSON-LD",
              (".jsonld", ".json"), "json-ld", "jsonld", "JSON-LD"),
    MediaType("application/rdf+xml", ox.RdfFormat.RDF_XML, "application/rdf+xml; charset=utf-8", "RDF/XML",
              (".rdf", ".owl", ".xml"), "xml", "rdfxml", "RDF_XML"),
    MediaType("text/plain", ox.RdfFormat.N_TRIPLES, "application/n-triples", alias_of="application/n-triples"),
)

_WRITTEN = [m for m in MEDIA_TYPES if m.alias_of is None]

#: SELECT / ASK result media types -> pyoxigraph format (no aliases).
RESULTS_MEDIA_TYPES: dict[str, ox.QueryResultsFormat] = {m.media_type: m.ox_format for m in _WRITTEN if not m.is_graph}
#: RDF media types -> pyoxigraph format (no aliases).
GRAPH_MEDIA_TYPES: dict[str, ox.RdfFormat] = {m.media_type: m.ox_format for m in _WRITTEN if m.is_graph}
#: RDF media types -> rdflib format name.
RDFLIB_FORMATS: dict[str, str] = {m.media_type: m.rdflib for m in _WRITTEN if m.rdflib}
#: file suffix -> pyoxigraph format, for the importer.
RDF_SUFFIXES: dict[str, ox.RdfFormat] = {s: m.ox_format for m in _WRITTEN for s in m.suffixes}


def bare(media_type: str) -> str:
    """The media type without parameters, lower case: ``text/turtle; charset=utf-8`` -> ``text/turtle``."""
    return media_type.split(";", 1)[0].strip().lower()
