"""``python -m clusterkg`` runs the command line."""

from clusterkg.cli import main

main()
