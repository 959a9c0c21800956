"""The analysis verbs of the command line, one module per family, registered in ``clusterkg.cli``."""
