"""The knowledge graph: its store, import and export, and the analyses built on it."""
