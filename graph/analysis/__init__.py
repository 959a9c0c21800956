"""Analyses for cluster managers: gaps, partners, recommendations, communities, matchmaking, ...

Each module is a set of pure functions over a :class:`~clusterkg.graph.projection.Projection`
(identification works on an employment table); none knows anything of Flask or the CLI.
"""
