"""Connectors for public bulk data: read a published format, write facts with their provenance.

One module per job:

- ``provenance``: the datasets (title, landing page, licence, the repositories holding the
  copies) and the record pages every fact points at;
- ``triples``: a small N-Triples builder (pyoxigraph terms, written gzip-compressed);
- ``cordis``: EU framework-programme projects and participations (CORDIS), in the bulk format
  of the bundled Horizon 2020 copy and in the ``project.csv`` / ``organization.csv`` columns of
  today's CORDIS downloads;
- ``cmp``: the US Cluster Mapping Project's cluster organisations and category relatedness;
- ``mappings``: the mapping table of programme parts and cluster categories to the project's
  competency and industry schemes, and the countries open data needs;
- ``resolve``: entity resolution between curated organisations and open-data records;
- ``build``: the reproducible build of the shipped open data (``data/open/``).
"""

#: The sources ``clusterkg ingest`` knows (kept here, free of heavy imports, for the CLI).
SOURCES = ("cordis-h2020", "us-cluster-mapping")
