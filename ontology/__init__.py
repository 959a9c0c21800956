"""The clusterkg ontology (OWL), its SHACL shapes and the project's closed namespace."""

from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Literal

import rdflib

__all__ = [
    "ontology_graph",
    "shapes_graph",
    "resource_text",
    "example_files",
    "check_queries",
    "focused_check_queries",
]

# The installed package name, not __name__: under pytest's importlib mode this module may be
# imported under another name, and the packaged files live with the installed package.
_PACKAGE = "clusterkg.ontology"

_EXAMPLE_KINDS = ("valid", "invalid")
_CHECK_SUFFIX = "-violation.rq"


def _resource(name: str) -> Traversable:
    return files(_PACKAGE).joinpath(*name.split("/"))


def resource_text(name: str) -> str:
    """Text of a file shipped with the ontology package, e.g. ``"shapes.ttl"`` or ``"checks/x.rq"``.

    Raises ``FileNotFoundError`` when there is no such file.

    >>> resource_text("clusterkg.ttl").count("owl:Ontology")
    1
    """
    resource = _resource(name)
    if not resource.is_file():
        raise FileNotFoundError(f"no file {name!r} in {_PACKAGE}")
    return resource.read_text(encoding="utf-8")


def ontology_graph() -> rdflib.Graph:
    """The OWL ontology ``clusterkg.ttl``, parsed into a new graph on every call (safe to change)."""
    return rdflib.Graph().parse(data=resource_text("clusterkg.ttl"), format="turtle")


def shapes_graph() -> rdflib.Graph:
    """The SHACL shapes ``shapes.ttl``, parsed into a new graph on every call (safe to change)."""
    return rdflib.Graph().parse(data=resource_text("shapes.ttl"), format="turtle")


def example_files(kind: Literal["valid", "invalid"]) -> list[Traversable]:
    """The example graphs (``*.ttl``) that must (``"valid"``) or must not (``"invalid"``) conform.

    >>> [f.name for f in example_files("invalid")][:1]
    ['affiliation-with-unknown-type.ttl']
    """
    if kind not in _EXAMPLE_KINDS:
        raise ValueError(f"kind must be one of {_EXAMPLE_KINDS}, not {kind!r}")
    folder = _resource(f"examples/{kind}")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".ttl")), key=lambda f: f.name)


def check_queries() -> dict[str, str]:
    """The consistency checks ``checks/*-violation.rq`` by name (file name without ``.rq``).

    Each is a SPARQL SELECT that returns no rows on a consistent store; every row it returns is
    one inconsistency.
    """
    folder = _resource("checks")
    return {
        f.name.removesuffix(".rq"): f.read_text(encoding="utf-8")
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(_CHECK_SUFFIX)
    }


def focused_check_queries() -> dict[str, str]:
    """The focused forms ``checks/focused/*-violation.rq`` by name: each gives the rows of the check
    of its name that involve a node marked in the validation-focus graph, from those nodes (see
    ``checks/focused/README.md``)."""
    folder = _resource("checks/focused")
    return {
        f.name.removesuffix(".rq"): f.read_text(encoding="utf-8")
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(_CHECK_SUFFIX)
    }
