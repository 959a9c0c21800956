"""Analyses for cluster managers: gaps, partners, recommendations, communities, matchmaking, ...

Each module is a set of pure functions over a :class:`~clusterkg.graph.projection.Projection`
(identification works on an employment table); none knows anything of Flask or the CLI.
What several analyses share (competency profiles of clusters, how results name things, the
pieces of "why" lines) is in :mod:`.profiles`; derived data is kept per projection with
:meth:`~clusterkg.graph.projection.Projection.cached`.
"""
