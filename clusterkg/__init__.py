"""clusterkg: a knowledge graph of economic clusters and cross-cluster partnerships."""

__version__ = "0.1.0"
