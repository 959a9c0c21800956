"""The verbs of the command line, one module per family, registered in ``clusterkg.cli``.

``base`` holds what they share (errors, opening the store); none of them imports
``clusterkg.cli``, so each can be imported on its own.
"""
