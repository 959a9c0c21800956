"""The ``clusterkg`` command line: one verb per job, the same functions the web app calls.

Exit codes: 0 ok, 1 a problem with the input or the data (validation, unknown names, a bad
query), 2 a usage error (unknown option, missing argument).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
import tempfile
from pathlib import Path

import click

from clusterkg import __version__
from clusterkg.commands.base import UserError, opened_store, said
from clusterkg.commands.changes import delete, history
from clusterkg.commands.cooperation import applications, disseminate, recommend
from clusterkg.commands.events import blitz, events, project_group, roundtable
from clusterkg.commands.identify import identify
from clusterkg.commands.ingest import ingest
from clusterkg.commands.language import LANG_OPTION
from clusterkg.commands.network import brokers, communities, matchmake
from clusterkg.commands.reports import imported, report_problems, validated
from clusterkg.commands.partner_search import gaps_command, partners_command
from clusterkg.commands.serve import serve
from clusterkg.commands.users import users
from clusterkg.settings import SettingError

__all__ = ["main", "cli", "UserError", "opened_store"]

# rdflib logs a warning (some with a traceback) for each odd IRI or literal it parses; printed
# before the import's own located problems, they would only bury them. A handler on the "rdflib"
# logger stops Python's last-resort printing to stderr; a configured root logger (a notebook, a
# server's log) still receives them.
logging.getLogger("rdflib").addHandler(logging.NullHandler())


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="clusterkg")
@click.option("--store", metavar="DIR",
              help="Embedded store directory [env CLUSTERKG_STORE; default ~/.local/share/clusterkg/store].")
@click.option("--endpoint", metavar="URL",
              help="Use a remote SPARQL 1.1 server at this query URL [env CLUSTERKG_ENDPOINT]; "
                   "a flag beats the other's variable.")
def cli(store: str | None, endpoint: str | None) -> None:
    """clusterkg: a knowledge graph of economic clusters, their members, competencies and partnerships."""


@cli.command()
@click.option("--no-default-data", is_flag=True, help="Load only the ontology, not the bundled dataset.")
@click.option("--no-open-data", is_flag=True, help="Load the curated dataset without the bundled open data (data/open/).")
@LANG_OPTION
@click.pass_context
def init(ctx: click.Context, no_default_data: bool, no_open_data: bool) -> None:
    """Create the store and load the ontology and the default dataset (safe to run again)."""
    from clusterkg.graph.dataset import initialise
    from clusterkg.graph.problems import ValidationFailed

    with opened_store(ctx, create=True) as store:
        try:
            report = initialise(store, with_default_data=not no_default_data, with_open_data=not no_open_data)
        except ValidationFailed as failure:
            raise UserError(f"the bundled dataset did not validate (a bug; please report it):\n{failure}") from failure
        from clusterkg.graph.importer import ImportReport
        from clusterkg.graph.reasons import N_, reason

        done = said(imported(report)) if isinstance(report, ImportReport) else ""
        click.echo(said(reason(N_("store ready: %(count)s triples"), count=store.triple_count())) + (f" ({done})" if done else ""))


@cli.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--replace", is_flag=True, help="Replace the earlier description of each resource the files describe.")
@click.option("--agent", metavar="NAME", help="Who makes the change, for the history [default: the OS user].")
@LANG_OPTION
@click.pass_context
def import_command(ctx: click.Context, files: tuple[str, ...], dry_run: bool, replace: bool = False, agent: str | None = None) -> None:
    """Import CSV sheets, Turtle, N-Triples, JSON-LD or RDF/XML files, all or nothing.

    Every file is checked first (syntax, references to clusters, organisations and
    competencies, SHACL shapes); on any problem all problems are listed and nothing is written.
    """
    from clusterkg.graph.importer import import_files
    from clusterkg.graph.problems import ValidationFailed

    with opened_store(ctx, read_only=dry_run) as store:
        try:
            report = import_files(list(files), store, dry_run=dry_run, replace=replace, agent=agent)
        except ValidationFailed as failure:
            report_problems(failure)
        click.echo(said(imported(report)))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--standalone", is_flag=True, help="Check against the files alone, without a store.")
@LANG_OPTION
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...], standalone: bool) -> None:
    """Run the import checks on FILES without writing anything."""
    from clusterkg.graph.importer import validate_only
    from clusterkg.graph.problems import ValidationFailed

    def run(store):
        try:
            report = validate_only(list(files), store)
        except ValidationFailed as failure:
            report_problems(failure)
        click.echo(said(validated(report)))

    if standalone:
        from clusterkg.graph.store import StoreError

        try:
            run(None)
        except StoreError as error:  # the scratch store of the checks refused the batch
            raise UserError(str(error)) from error
    else:
        with opened_store(ctx, read_only=True) as store:
            run(store)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["turtle", "nt", "jsonld", "rdfxml", "graphml", "gexf", "csv"]), default="turtle", show_default=True)
@click.option("--output", "-o", type=click.Path(), help="Output file (directory for csv); default: standard output.")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: str | None) -> None:
    """Export the whole graph as RDF, GraphML/GEXF (for Gephi) or the CSV sheets."""
    from clusterkg.graph.export import export_store

    if fmt == "csv" and output is None:
        raise UserError("the csv export writes one file per sheet: give a directory with --output")
    with opened_store(ctx, read_only=True) as store:
        try:
            result = export_store(store, fmt, output if output is not None else sys.stdout.buffer)
        except ValueError as error:
            raise UserError(str(error)) from error
    if fmt == "csv":
        click.echo(", ".join(f"{name}: {n}" for name, n in result.items()))
    elif output is None:
        sys.stdout.flush()


def query_form(text: str) -> str:
    """The query's form (SELECT, ASK, CONSTRUCT, DESCRIBE), skipping the prologue and comments.

    >>> query_form("PREFIX x: <http://x/> # a comment\\nselect * { ?s ?p ?o }")
    'SELECT'
    """
    from clusterkg.graph.sparql_text import query_form as form_of

    form = form_of(text)
    if form is None:
        raise UserError("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE (updates are not run by `query`)")
    return form


@cli.command()
@click.argument("sparql")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def query(ctx: click.Context, sparql: str, fmt: str) -> None:
    """Run a SPARQL query (text, or @FILE to read it from a file)."""
    if sparql.startswith("@"):
        try:
            sparql = Path(sparql[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise UserError(f"cannot read the query file: {error}") from error
    form = query_form(sparql)
    with opened_store(ctx, read_only=True) as store:
        if form in ("CONSTRUCT", "DESCRIBE"):
            click.echo(store.query_bytes(sparql, "text/turtle").decode())
        elif form == "ASK":
            answer = store.ask(sparql)
            click.echo(json.dumps({"head": {}, "boolean": answer}) if fmt == "json" else str(answer).lower())
        elif fmt == "json":
            click.echo(store.query_bytes(sparql, "application/sparql-results+json").decode())
        elif fmt == "csv":
            click.echo(store.query_bytes(sparql, "text/csv").decode(), nl=False)
        else:
            variables, rows = store.select_values(sparql)
            click.echo(_table(variables, rows))


def _table(variables: list[str], rows: list[tuple]) -> str:
    """A plain text table that fits a terminal (long cells are shortened)."""
    cells = [[_shorten(v) for v in row] for row in rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(variables)]
    line = "  ".join(name.ljust(w) for name, w in zip(variables, widths))
    out = io.StringIO()
    out.write(line.rstrip() + "\n" + "  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return out.getvalue()


def _shorten(value: str | None, limit: int = 60) -> str:
    from clusterkg.ontology.namespace import DATA

    if value is None:
        return ""
    value = value.replace(str(DATA), "id:").replace("\n", " ")
    return value if len(value) <= limit else value[: limit - 1] + "…"


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """Count clusters, organisations, competencies, partnerships, ... in the store."""
    from clusterkg.graph.stats import graph_stats

    with opened_store(ctx, read_only=True) as store:
        counts = graph_stats(store)
    if fmt == "json":
        click.echo(json.dumps(counts, indent=2))
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["what", "count"])
        writer.writerows(counts.items())
        click.echo(out.getvalue(), nl=False)
    else:
        width = max(map(len, counts))
        for what, n in counts.items():
            click.echo(f"{what.ljust(width)}  {n:>9,}")


@cli.command()
@click.option("--clusters", type=click.IntRange(1), default=100, show_default=True)
@click.option("--organisations", type=click.IntRange(1), default=5000, show_default=True)
@click.option("--competencies", type=click.IntRange(2), default=500, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write N-Triples to this file.")
@click.option("--load", is_flag=True, help="Load the synthetic graph into the store (atomically).")
@click.pass_context
def generate(ctx: click.Context, clusters: int, organisations: int, competencies: int, seed: int, output: str | None, load: bool) -> None:
    """Generate a synthetic graph (its own namespace, labelled synthetic) for scale tests."""
    from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

    if not output and not load:
        raise click.UsageError("give --output FILE, --load, or both")
    spec = SyntheticSpec(clusters=clusters, organisations=organisations, competencies=competencies, seed=seed)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(output) if output else Path(scratch) / "synthetic.nt"
        count = write_synthetic(spec, path)  # streamed: millions of triples in bounded memory
        if output:
            click.echo(f"wrote {count} synthetic triples to {output}")
        if load:
            with opened_store(ctx, create=True) as store:
                store.insert_ntriples(path)
                click.echo(f"loaded {count} synthetic triples; the store now holds {store.triple_count()}")


# The toolkit verbs live in ``clusterkg.commands``, one module per family.
for _command in (gaps_command, partners_command, recommend, applications, disseminate, communities, brokers,
                 matchmake, identify, serve, delete, history, ingest, users):
    cli.add_command(_command)
# The organisational tools (events): round tables, project working groups, blitz sessions.
for _command in (roundtable, project_group, events, blitz):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point. A bad setting read outside a verb's own checks (an option's
    default, say) still ends as a one-line error with exit code 1, not a traceback."""
    try:
        cli(prog_name="clusterkg")
    except SettingError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
