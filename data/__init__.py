"""The bundled default dataset: CSV sheets of real clusters, organisations and competencies."""
