"""The editing pages of a cluster: ``/clusters/<id>/edit`` (forms, upload), ``.../history`` (revert).

Each form is the row of one or two sheets (``data/README.md`` documents the columns): saving it
is one validated import, all or nothing (see :mod:`.writes`). Every page needs a logged-in editor
of the cluster (or an admin): anyone else gets 403 and nothing changes. Every form carries its
CSRF token; a POST without it is refused before anything is read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_wtf.csrf import generate_csrf

from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.history import list_history
from clusterkg.graph.reasons import reason
from clusterkg.graph.sheets import (AFFILIATION_TYPES, CLUSTER_STAGES, COMPETENCY_LEVELS, ORGANISATION_TYPES,
                                    RESOURCE_KINDS, SHEETS, graph_to_rows)
from clusterkg.ontology.namespace import CKG, DATA, DCT, RDFS, SCHEMA
from clusterkg.graph.revert import read_delta
from clusterkg.webapp.accounts.rights import foreign_resources, require_actor
from clusterkg.webapp.accounts.views import check_csrf
from clusterkg.webapp.editing.writes import cluster_iri, remove_rows, revert, save_profile, save_sheets, sheet_text
from clusterkg.webapp.errors import ApiError
from clusterkg.webapp.extension import state
from clusterkg.webapp.i18n import N_, say
from clusterkg.webapp.pages.common import page_blueprint

__all__ = ["bp", "FORMS"]

bp = page_blueprint("editing", __name__)


@dataclass(frozen=True)
class Field:
    sheet: str
    column: str
    label: str
    required: bool = False
    choices: tuple[str, ...] = ()
    hint: str = ""
    kind: str = "text"  # text, url, textarea, date (YYYY-MM-DD), date-like text
    datalist: str = ""  # "members" or "competencies"


def _source(sheet: str) -> tuple[Field, ...]:
    return (Field(sheet, "source_url", N_("Source URL"), True, kind="url",
                  hint=N_("the public page that says so (several: separate with |)")),
            Field(sheet, "source_quote", N_("Quote from the source"), True, kind="textarea",
                  hint=N_("the words on that page that support it: how the fact is known")))


FORMS: dict[str, tuple[str, tuple[Field, ...]]] = {
    "member": (N_("Add a member"), (
        Field("affiliations", "organisation", N_("Organisation id"), True, datalist="members",
              hint=N_("an organisation in the graph, or a new id (then fill in name and type below)")),
        Field("organisations", "name", N_("New organisation: name")),
        Field("organisations", "type", N_("New organisation: type"), choices=tuple(ORGANISATION_TYPES)),
        Field("organisations", "country", N_("New organisation: country code"), hint=N_("e.g. DE")),
        Field("affiliations", "relation", N_("Affiliation"), True, choices=tuple(AFFILIATION_TYPES)),
        Field("affiliations", "role", N_("Role")),
        Field("affiliations", "start", N_("Since"), hint=N_("year or YYYY-MM-DD")),
        Field("affiliations", "end", N_("Until"), hint=N_("year or YYYY-MM-DD")),
        *_source("affiliations"))),
    "need": (N_("Declare a need"), (
        Field("needs", "competency", N_("Competency the cluster needs"), True, datalist="competencies"),
        Field("needs", "description", N_("Why"), kind="textarea"),
        Field("needs", "valid_until", N_("Until when"), kind="date",
              hint=N_("the last day the need holds (YYYY-MM-DD); after it, it is no longer counted as a gap")),
        *_source("needs"))),
    "claim": (N_("Add a competency claim of a member"), (
        Field("organisation_competencies", "organisation", N_("Organisation id"), True, datalist="members"),
        Field("organisation_competencies", "competency", N_("Competency"), True, datalist="competencies"),
        Field("organisation_competencies", "level", N_("Level"), choices=tuple(COMPETENCY_LEVELS)),
        *_source("organisation_competencies"))),
    "resource": (N_("Add a shareable resource"), (
        Field("resources", "id", N_("Id of the resource"), True, hint=N_("lowercase words joined by hyphens")),
        Field("resources", "organisation", N_("Offered by (organisation id)"), True, datalist="members"),
        Field("resources", "kind", N_("Kind"), True, choices=tuple(RESOURCE_KINDS)),
        Field("resources", "label", N_("Name"), True),
        Field("resources", "competencies", N_("Competencies (ids, separated by ;)")),
        *_source("resources"))),
    "development": (N_("Add a member's development"), (
        Field("developments", "id", N_("Id of the development"), True, hint=N_("lowercase words joined by hyphens")),
        Field("developments", "organisation", N_("Developed by (organisation id)"), True, datalist="members"),
        Field("developments", "label", N_("Name"), True),
        Field("developments", "description", N_("Description"), kind="textarea"),
        Field("developments", "competencies", N_("Competencies (ids, separated by ;)")),
        Field("developments", "industries", N_("Industries (ids, separated by ;)")),
        Field("developments", "date", N_("Date"), hint=N_("year or YYYY-MM-DD")),
        *_source("developments"))),
}
PROFILE_FIELDS = (
    Field("clusters", "name", N_("Name"), True), Field("clusters", "alt_names", N_("Other names (separated by ;)")),
    Field("clusters", "countries", N_("Countries (codes, separated by ;)"), True),
    Field("clusters", "regions", N_("Regions (ids, separated by ;)")), Field("clusters", "city", N_("City")),
    Field("clusters", "industries", N_("Industries (ids, separated by ;)")),
    Field("clusters", "founded", N_("Founded (year)")), Field("clusters", "stage", N_("Stage"), choices=tuple(CLUSTER_STAGES)),
    Field("clusters", "cluster_organisation", N_("Cluster organisation (organisation id)")),
    Field("clusters", "website", N_("Website"), kind="url"), Field("clusters", "member_count", N_("Members (stated)")),
    Field("clusters", "member_count_year", N_("Members counted in (year)")),
    *_source("clusters"),
)


def _label(cluster_id: str) -> str:
    _, rows = state().store.select_values(f"SELECT ?l WHERE {{ <{cluster_iri(cluster_id)}> <{RDFS.label}> ?l FILTER(LANG(?l) IN (\"\", \"en\")) }}")
    if not rows:
        raise ApiError(reason(N_("unknown cluster %(cluster)s"), cluster=repr(cluster_id)), 404)
    return rows[0][0]


def _profile(cluster_id: str) -> dict[str, str]:
    node = cluster_iri(cluster_id)
    graph = state().store.construct(f"CONSTRUCT {{ <{node}> ?p ?o }} WHERE {{ <{node}> ?p ?o }}")
    return next(iter(graph_to_rows(graph, SHEETS["clusters"])), {})


def _members(cluster_id: str) -> list[dict[str, str]]:
    node = cluster_iri(cluster_id)
    _, rows = state().store.select_values(f"""SELECT ?org ?label ?type ?a WHERE {{
        ?a <{CKG.cluster}> <{node}> ; <{CKG.organisation}> ?org ; <{CKG.affiliationType}> ?type .
        OPTIONAL {{ ?org <{RDFS.label}> ?label }} }} ORDER BY LCASE(STR(?label)) ?a""")
    kinds = {str(v): k for k, v in AFFILIATION_TYPES.items()}
    prefix = str(DATA["org/"])
    return [{"id": org[len(prefix):] if org.startswith(prefix) else org, "label": label or org,
             "relation": kinds.get(kind, kind), "iri": affiliation} for org, label, kind, affiliation in rows]


def _removable_rows(cluster_id: str) -> dict[str, list[dict[str, str]]]:
    """The rows an editor can remove one by one: the cluster's affiliations, its and its members'
    needs, and its members' claims, resources and developments (IRI and what it says)."""
    node = f"<{cluster_iri(cluster_id)}>"
    member = f"?a <{CKG.cluster}> {node} ; <{CKG.organisation}> ?org ."
    label = f"OPTIONAL {{ ?org <{RDFS.label}> ?who }}"
    queries = {
        "needs": f"""SELECT DISTINCT ?row ?who ?what ?until WHERE {{
            {{ {node} <{CKG.qualifiedNeed}> ?row BIND({node} AS ?org) }} UNION {{ {member} ?org <{CKG.qualifiedNeed}> ?row }}
            ?row <{CKG.competency}> ?what . {label} OPTIONAL {{ ?row <{SCHEMA.validThrough}> ?until }} }}""",
        "claims": f"""SELECT DISTINCT ?row ?who ?what ?level WHERE {{ {member} ?org <{CKG.qualifiedCompetency}> ?row .
            ?row <{CKG.competency}> ?what . {label} OPTIONAL {{ ?row <{CKG.level}> ?level }} }}""",
        "resources": f"""SELECT DISTINCT ?row ?who ?what ?kind WHERE {{ {member} ?row <{CKG.offeredBy}> ?org .
            OPTIONAL {{ ?row <{RDFS.label}> ?what }} {label} OPTIONAL {{ ?row <{CKG.resourceKind}> ?kind }} }}""",
        "developments": f"""SELECT DISTINCT ?row ?who ?what ?date WHERE {{ {member} ?row <{CKG.developedBy}> ?org .
            OPTIONAL {{ ?row <{RDFS.label}> ?what }} {label} OPTIONAL {{ ?row <{DCT.date}> ?date }} }}""",
    }
    codes = {str(iri): code for choices in (COMPETENCY_LEVELS, RESOURCE_KINDS) for code, iri in choices.items()}
    out = {}
    for kind, query in queries.items():
        _, rows = state().store.select_values(query + " ORDER BY ?who ?what ?row")
        out[kind] = [{"iri": r[0], "who": r[1] or "", "what": (r[2] or "").rsplit("/", 1)[-1],
                      "more": codes.get(r[3] or "", r[3] or "")} for r in rows]
    return out


def _competencies() -> list[str]:
    prefix = str(DATA["competency/"])
    _, rows = state().store.select_values(f"SELECT ?c WHERE {{ ?c a <{CKG.Competency}> }} ORDER BY ?c")
    return [r[0][len(prefix):] for r in rows if r[0].startswith(prefix)]


def _render(cluster_id: str, *, status: int = 200, problems=None, failed_form: str | None = None,
            values: dict | None = None, preview=None):
    members = _members(cluster_id)
    html = render_template(
        "editing/edit.html", cluster_id=cluster_id, label=_label(cluster_id), forms=FORMS,
        profile_fields=PROFILE_FIELDS, profile=_profile(cluster_id), members=members,
        member_ids=sorted({m["id"] for m in members}), competencies=_competencies(), rows=_removable_rows(cluster_id),
        problems=[replace(p, message=say(p.message)) for p in problems or []],  # (said in the page's language)
        failed_form=failed_form, values=values or {}, preview=preview,
        csrf=generate_csrf())
    return html, status


def _rows(fields: tuple[Field, ...], cluster_id: str) -> dict[str, list[dict[str, str]]]:
    """The form's cells grouped by sheet, one row each; a sheet whose cells are all empty is left out."""
    sheets: dict[str, dict[str, str]] = {}
    for f in fields:
        sheets.setdefault(f.sheet, {})[f.column] = request.form.get(f"{f.sheet}.{f.column}", "").strip()
    out = {}
    for sheet, row in sheets.items():
        if not any(row.values()):
            continue
        if sheet in ("affiliations", "needs"):
            row["cluster"] = cluster_id
        out[sheet] = [row]
    if "organisations" in out:  # a new organisation: its id and source are the affiliation's
        affiliation = sheets.get("affiliations", {})
        out["organisations"][0].update(id=affiliation.get("organisation", ""),
                                       source_url=affiliation.get("source_url", ""),
                                       source_quote=affiliation.get("source_quote", ""))
        out = {"organisations": out["organisations"], **{k: v for k, v in out.items() if k != "organisations"}}
    return out


@bp.route("/clusters/<cluster_id>/edit")
def edit(cluster_id: str):
    require_actor(cluster_id)
    return _render(cluster_id)


@bp.route("/clusters/<cluster_id>/edit/<form>", methods=["POST"])
def save(cluster_id: str, form: str):
    check_csrf()
    actor = require_actor(cluster_id)
    values = dict(request.form)
    try:
        if form == "profile":
            row = {f.column: request.form.get(f"clusters.{f.column}", "").strip() for f in PROFILE_FIELDS}
            saved = save_profile(actor, cluster_id, row)
        elif form in FORMS:
            rows = _rows(FORMS[form][1], cluster_id)
            files = {f"{sheet}.csv": sheet_text(sheet, r).encode() for sheet, r in rows.items()}
            saved = save_sheets(actor, files)
        else:
            raise ApiError(reason(N_("no form %(form)s"), form=repr(form)), 404)
    except ValidationFailed as failure:
        return _render(cluster_id, status=getattr(failure, "status", 400), problems=failure.problems,
                       failed_form=form, values=values)
    flash(gettext("Saved: %(added)s triple(s) added, %(removed)s removed. "
                  "The change is in the history, where it can be reverted.",
                  added=saved.report.added, removed=saved.report.removed))
    return redirect(url_for("editing.edit", cluster_id=cluster_id) + f"#{form}")


@bp.route("/clusters/<cluster_id>/remove", methods=["POST"])
def remove(cluster_id: str):
    """Remove one row (its IRI in ``row``): one recorded, revertible change."""
    check_csrf()
    actor = require_actor(cluster_id)
    try:
        saved = remove_rows(actor, [request.form.get("row", "")])
    except ValidationFailed as failure:
        return _render(cluster_id, status=getattr(failure, "status", 400), problems=failure.problems,
                       failed_form="rows")
    flash(gettext("Removed: %(removed)s triple(s). The change is in the history, where it can be reverted.",
                  removed=saved.report.removed))
    return redirect(url_for("editing.edit", cluster_id=cluster_id) + "#rows")


@bp.route("/clusters/<cluster_id>/upload", methods=["POST"])
def upload(cluster_id: str):
    """Step 1 (files): validate and show every problem, writing nothing; step 2 (commit): write."""
    check_csrf()
    actor = require_actor(cluster_id)
    replace = request.form.get("mode") == "replace"
    if request.form.get("step") == "commit":
        files = {k[len("file."):]: v.encode() for k, v in request.form.items() if k.startswith("file.")}
    else:
        files = {(u.filename or "").rsplit("/", 1)[-1]: u.read() for u in request.files.getlist("files") if u.filename}
    if not files:
        raise ApiError(reason(N_("choose at least one sheet (CSV) to upload")), 400)
    commit = request.form.get("step") == "commit"
    try:
        saved = save_sheets(actor, files, replace=replace, dry_run=not commit)
    except ValidationFailed as failure:
        return _render(cluster_id, status=getattr(failure, "status", 400), problems=failure.problems,
                       failed_form="upload")
    if commit:
        flash(gettext("Imported: %(added)s triple(s) added, %(removed)s removed.",
                      added=saved.report.added, removed=saved.report.removed))
        return redirect(url_for("editing.edit", cluster_id=cluster_id) + "#upload")
    texts = {}
    for name, data in files.items():
        try:
            texts[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(reason(N_("%(file)s: not UTF-8 text"), file=name), 400) from None
    preview = {"files": texts, "replace": replace, "added": saved.report.added, "removed": saved.report.removed,
               "batch_triples": saved.report.batch_triples}
    return _render(cluster_id, preview=preview)


@bp.route("/clusters/<cluster_id>/history")
def history(cluster_id: str):
    actor = require_actor(cluster_id)
    store = state().store
    entries = list(reversed(list_history(store, cluster_iri(cluster_id))))
    revertible = {e.activity for e in entries if e.revertible and not e.reverted_by and _may_revert(actor, e, store)}
    return render_template("editing/history.html", cluster_id=cluster_id, label=_label(cluster_id),
                           entries=entries, revertible=revertible, csrf=generate_csrf())


#: Above this many triples an editor's history page does not look into a change to offer its revert
#: (the revert itself checks the rights of any size); the admin is offered every revertible change.
OFFER_LIMIT = 500


def _may_revert(actor, entry, store) -> bool:
    """Whether to offer the revert button: every resource the change touched is the actor's to change."""
    if actor.admin:
        return True
    if (entry.added or 0) + (entry.removed or 0) > OFFER_LIMIT:
        return False
    delta = read_delta(store, entry.activity)
    return delta is not None and not foreign_resources(actor, delta.subjects(), store, delta.added + delta.removed)


@bp.route("/clusters/<cluster_id>/history/revert", methods=["POST"])
def revert_page(cluster_id: str):
    check_csrf()
    actor = require_actor(cluster_id)
    report = revert(actor, cluster_id, request.form.get("activity", ""))
    flash(gettext("Reverted: %(removed)s triple(s) removed, %(added)s restored.",
                  removed=report.removed, added=report.added))
    return redirect(url_for("editing.history", cluster_id=cluster_id))

