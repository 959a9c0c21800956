"""The Flask web application (SPARQL endpoint, partner-search pages, graph explorer)."""
