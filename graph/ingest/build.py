"""Rebuild the shipped open data: ``python -m clusterkg.graph.ingest.build OPEN_DATA_DIR``.

``OPEN_DATA_DIR`` holds the two source folders as published (``cordis-h2020/``,
``us-cluster-mapping/``; see data/README.md for where each file comes from). The build writes

- ``data/open/cordis-h2020.nt.gz``: the Horizon 2020 projects in which a curated organisation
  took part, all their participants, the programme parts and their mappings, the countries the
  records need, and the identity matches;
- ``data/open/us-cluster-mapping.nt.gz``: the US cluster organisations, categories, mappings and
  category relatedness;
- ``data/mappings/organisation-matches.csv``: the review sheet of candidate matches.

Before it returns, the build runs the validated import (every check of ``clusterkg import``)
on the files it wrote, with the ontology and the curated sheets, in a scratch store: a build
that would make ``init`` fail stops here with the located problems.

Files are written byte-for-byte reproducibly (sorted N-Triples, gzip without a timestamp), so a
rebuild from the same inputs changes nothing in git.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from clusterkg.graph.dataset import initialise
from clusterkg.graph.importer import import_files
from clusterkg.graph.ingest.resolve import write_review_sheet
from clusterkg.graph.ingest.shipped import decompress
from clusterkg.graph.ingest.sources import convert
from clusterkg.graph.store import OxigraphStore

__all__ = ["build_open_data", "main"]

PROJECT = Path(__file__).resolve().parents[2]


def build_open_data(source_root: str | Path, data_dir: str | Path = PROJECT / "data") -> dict[str, dict[str, int]]:
    """Convert both sources and write the shipped files; returns what each holds."""
    source_root, data_dir = Path(source_root), Path(data_dir)
    cordis = convert("cordis-h2020", source_root / "cordis-h2020", scope="linked")
    cmp = convert("us-cluster-mapping", source_root / "us-cluster-mapping")
    summary = {}
    for conversion in (cordis, cmp):
        path = conversion.triples.write(data_dir / "open" / f"{conversion.source}.nt.gz")
        summary[conversion.source] = {**conversion.counts, "triples": len(conversion.triples),
                                      "bytes": path.stat().st_size}
    write_review_sheet(cordis.candidates + cmp.candidates, data_dir / "mappings" / "organisation-matches.csv")
    with tempfile.TemporaryDirectory(prefix="clusterkg-build-") as scratch:
        plain = [decompress(data_dir / "open" / f"{c.source}.nt.gz", Path(scratch)) for c in (cordis, cmp)]
        with OxigraphStore(str(Path(scratch) / "store")) as store:
            initialise(store, progress=False)
            import_files(plain, store, dry_run=True, progress=False)  # raises ValidationFailed
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_root", help="folder holding cordis-h2020/ and us-cluster-mapping/")
    parser.add_argument("--data", default=str(PROJECT / "data"), help="the project's data/ folder")
    args = parser.parse_args(argv)
    for source, counts in build_open_data(args.source_root, args.data).items():
        print(source + ": " + ", ".join(f"{n} {what}" for what, n in counts.items()))


if __name__ == "__main__":
    main()
