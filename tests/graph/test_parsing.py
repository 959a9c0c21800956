"""The line scan of an unparsed N-Triples file (graph/parsing.py), fed as staging's load reads."""

import pyoxigraph as ox
import pytest

from clusterkg.graph.parsing import LineScan

XSD = "http://www.w3.org/2001/XMLSchema#"
# comments (one with a caret pair), a blank line, indented and CRLF lines, blank-node subjects,
# typed literals, and no final line break
LINES = ('# a comment ^^ with a caret pair\n\n'
         '<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "a" .\n'
         f'<https://example.org/a> <https://schema.org/foundingDate> "2001"^^<{XSD}gYear> .\n'
         '  <https://example.org/c> <http://www.w3.org/2000/01/rdf-schema#label> "c^^" .  # indented\r\n'
         '\t# indented comment\r\n<https://example.org/c> <https://example.org/p> _:x .\n'
         f'_:x <https://example.org/p> "1"^^<{XSD}integer> .').encode()


def _scanned(data: bytes, size: int) -> LineScan:
    scan = LineScan()
    for start in range(0, len(data), size):
        scan.feed(data[start:start + size])
    scan.close()
    return scan


@pytest.mark.parametrize("text", [LINES, LINES.replace(b"\r", b""), LINES.replace(b"  <", b"<") + b"\n",
                                  LINES.replace(b"\r\n", b"\n").replace(b"\n", b"\r"),  # (lines ended by CR alone)
                                  # (a triple first, the comments and the blank line after it)
                                  LINES.replace(b"\r", b"").split(b"\n", 2)[2] + b"\n\n# the end\n"])
def test_a_line_scan_counts_the_triples_wherever_its_chunks_are_cut(text):
    triples = sum(1 for _ in ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
    assert triples == 5
    for size in range(1, len(text) + 1):
        scan = _scanned(text, size)
        assert (scan.triples, scan.well_typed) == (triples, True), size


@pytest.mark.parametrize("wrong", [b'"20x1"^^<' + XSD.encode() + b'gYear>', b'"1.5"^^<' + XSD.encode() + b'integer>',
                                   b'"1"^^<not an iri>', b'"2001-02-30"^^<' + XSD.encode() + b'date>',
                                   # the form read past an escaped quote would be "2001"
                                   b'"x \\"2001"^^<' + XSD.encode() + b'gYear>',
                                   # the datatype written with an escape is xsd:gYear all the same
                                   b'"20x1"^^<' + XSD.encode() + b'g\\u0059ear>'])
def test_a_line_scan_finds_an_ill_typed_literal_wherever_its_chunks_are_cut(wrong):
    text = LINES.replace(b'"2001"^^<' + XSD.encode() + b'gYear>', wrong)
    assert text != LINES
    for size in range(1, len(text) + 1):
        assert not _scanned(text, size).well_typed, size
