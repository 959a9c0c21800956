"""CORDIS connector: EU framework-programme projects, organisations and participations.

Two published layouts are read, told apart by their file names:

- **today's CORDIS download** (the open-data portal's project CSV bundle): ``project.csv`` and
  ``organization.csv``, ``;``-separated, one row per project and one per participation
  (``projectID``, ``organisationID`` = the PIC, ``name``, ``shortName``, ``SME``, ``activityType``,
  ``city``, ``country``, ``role``, ``ecContribution``, ...);
- **the bundled Horizon 2020 copy**: ``participations.csv.gz`` (one row per participation:
  ``rcn``, ``role``, ``pic``, ``type``, ``contribution``, dates, ``max_contribution``,
  ``total_cost``; its ``nunique`` column counts countries, not participants, and is not read),
  ``programme_parts.csv.gz`` (``rcn`` -> ``programme_part``) and
  ``organisations-2017.csv.gz`` (``orgId`` = PIC, ``name``, ``shortName``, ``activityType``,
  ``city``, ``country``). Plain ``.csv`` files are read too.

Both become the same records (:class:`CordisData`), so the RDF does not depend on the layout:
projects keyed by their CORDIS record number (``rcn``), organisations by their PIC. Every
cell is checked; problems are collected with file, row and column and raised together as
:class:`~clusterkg.graph.problems.ValidationFailed` before anything is written. Participations
of organisations without a name in the input are left out (counted in ``skipped``): a
partner nobody can name is no use to a cluster manager.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from clusterkg.graph.ingest.mappings import ProgrammeParts
from clusterkg.graph.ingest.provenance import CORDIS_H2020, OpenDataset, organisation_page, project_page
from clusterkg.graph.ingest.triples import Triples, date, decimal, describe_source, integer, text
from clusterkg.graph.problems import Problem, ValidationFailed
from clusterkg.ontology.namespace import CKG, DATA, DCT, ORG, RDF, RDFS, SCHEMA

__all__ = ["CordisData", "Organisation", "Participation", "Project", "read_cordis", "cordis_triples",
           "project_iri", "organisation_iri", "country_code"]

PIC = re.compile(r"^\d{9}$")
RECORD_NUMBER = re.compile(r"^\d+$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: How the bundled copy (written by R) marks an empty cell.
MISSING = {"NA"}

#: CORDIS writes UK and EL where ISO 3166 has GB and GR.
CORDIS_COUNTRIES = {"UK": "GB", "EL": "GR"}

ROLES = {
    "coordinator": CKG.RoleCoordinator,
    "participant": CKG.RoleParticipant,
    "partner": CKG.RolePartner,
    "associatedpartner": CKG.RolePartner,
    "thirdparty": CKG.RoleThirdParty,
    "internationalpartner": CKG.RoleInternationalPartner,
}
ACTIVITY_TYPES = {
    "HES": CKG.ActivityHigherEducation,
    "REC": CKG.ActivityResearch,
    "PRC": CKG.ActivityPrivateForProfit,
    "PUB": CKG.ActivityPublicBody,
    "OTH": CKG.ActivityOther,
}
#: Organisation type class by activity type. A company is an SME only when the record says so
#: (today's files have an SME flag; the 2017 list has none), otherwise "other".
TYPE_CLASSES = {
    "HES": CKG.University,
    "REC": CKG.ResearchInstitute,
    "PUB": CKG.PublicBody,
    "OTH": CKG.OtherOrganisation,
}


@dataclass
class Project:
    rcn: str
    grant: str = ""
    acronym: str = ""
    title: str = ""
    start: str = ""
    end: str = ""
    eu_contribution: Decimal | None = None
    total_cost: Decimal | None = None
    parts: set[str] = field(default_factory=set)  # programme-part codes
    participant_count: int | None = None

    @property
    def page(self) -> str:
        return project_page(rcn=self.rcn, grant=self.grant or None)

    @property
    def label(self) -> str:
        if self.acronym and self.title:
            return f"{self.acronym} - {self.title}"
        return self.acronym or self.title or f"Horizon 2020 project (CORDIS record {self.rcn})"


@dataclass
class Organisation:
    pic: str
    name: str
    short_name: str = ""
    activity_type: str = ""
    sme: bool | None = None
    city: str = ""
    country: str = ""


@dataclass
class Participation:
    rcn: str
    pic: str
    role: str  # key of ROLES
    contribution: Decimal | None = None


@dataclass
class CordisData:
    projects: dict[str, Project]
    organisations: dict[str, Organisation]
    participations: list[Participation]
    skipped: int = 0  # participations whose organisation has no name in the input

    def countries(self) -> set[str]:
        return {o.country for o in self.organisations.values() if o.country}


def project_iri(rcn: str):
    return DATA[f"project/cordis-{rcn}"]


def organisation_iri(pic: str):
    return DATA[f"org/pic-{pic}"]


def participation_iri(rcn: str, pic: str):
    return DATA[f"participation/cordis-{rcn}-{pic}"]


def country_code(value: str) -> str:
    """ISO 3166 alpha-2 code of a CORDIS country code.

    >>> country_code("UK"), country_code("el"), country_code("DE"), country_code("")
    ('GB', 'GR', 'DE', '')
    """
    value = value.strip().upper()
    return CORDIS_COUNTRIES.get(value, value)


# -- reading ----------------------------------------------------------------------------------

class _Cells:
    """Typed reads of one CSV row, each problem located by file, row and column."""

    def __init__(self, name: str, number: int, row: dict[str, str], problems: list[Problem]):
        self.name, self.number, self.row, self.problems = name, number, row, problems

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.name, f"row {self.number}", column, message))

    def text(self, column: str) -> str:
        value = (self.row.get(column) or "").strip()
        return "" if value in MISSING else value

    def required(self, column: str, pattern: re.Pattern, expected: str) -> str:
        value = self.text(column)
        if not pattern.match(value):
            self.problem(column, f"expected {expected}, got {value!r}")
        return value

    def amount(self, column: str) -> Decimal | None:
        value = self.text(column)
        if not value:
            return None
        if "," in value and "." not in value:
            value = value.replace(",", ".")  # some CORDIS exports write decimal commas
        try:
            amount = Decimal(value)
        except InvalidOperation:
            self.problem(column, f"expected an amount in euros (e.g. 317625.5), got {value!r}")
            return None
        if amount < 0 or not amount.is_finite():
            self.problem(column, f"expected an amount of zero or more, got {value!r}")
            return None
        return amount

    def iso_date(self, column: str) -> str:
        value = self.text(column)[:10]
        if value and not ISO_DATE.match(value):
            self.problem(column, f"expected a date YYYY-MM-DD, got {value!r}")
            return ""
        return value

    def role(self, column: str) -> str:
        value = self.text(column)
        key = value.replace("_", "").replace(" ", "").lower()
        if key not in ROLES:
            self.problem(column, f"expected a role (coordinator, participant, partner, thirdParty, internationalPartner), got {value!r}")
        return key

    def activity(self, column: str) -> str:
        value = self.text(column).upper()
        if value and value not in ACTIVITY_TYPES:
            self.problem(column, f"expected an activity type (HES, REC, PRC, PUB, OTH), got {value!r}")
            return ""
        return value

    def flag(self, column: str) -> bool | None:
        value = self.text(column).lower()
        return {"true": True, "false": False, "1": True, "0": False}.get(value)


def _open_text(path: Path) -> io.TextIOBase:
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _rows(path: Path, required: tuple[str, ...], problems: list[Problem], delimiter: str = ",") -> Iterator[_Cells]:
    """The rows of one CSV file as typed cells; a missing column is one problem for the file."""
    name = path.name
    try:
        with _open_text(path) as handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                problems.append(Problem(name, "", ", ".join(missing),
                                        f"missing column(s); expected at least {', '.join(required)}"))
                return
            for number, row in enumerate(reader, start=2):
                yield _Cells(name, number, row, problems)
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile, csv.Error) as error:
        problems.append(Problem(name, "", "", f"cannot read: {error}"))


def _find(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / f"{stem}.csv.gz", directory / f"{stem}.csv"):
        if candidate.is_file():
            return candidate
    return None


def read_cordis(directory: str | Path, parts: ProgrammeParts) -> CordisData:
    """Read a CORDIS folder in either layout; raise ValidationFailed listing every problem."""
    directory = Path(directory)
    problems: list[Problem] = []
    if _find(directory, "organization") and _find(directory, "project"):
        data = _read_portal(directory, parts, problems)
    elif _find(directory, "participations"):
        data = _read_bundled(directory, problems)
    else:
        raise ValidationFailed([Problem(str(directory), "", "", "no CORDIS files found: expected project.csv and "
                                        "organization.csv (CORDIS download) or participations.csv.gz (bundled copy)")])
    unknown = sorted({p for project in data.projects.values() for p in project.parts} - set(parts.labels))
    if unknown:
        problems.append(Problem(str(directory), "", "programme_part", f"unknown programme part(s) {', '.join(unknown)}; "
                                f"expected one of {', '.join(parts.labels)}"))
    if problems:
        raise ValidationFailed(problems)
    return data


def _read_bundled(directory: Path, problems: list[Problem]) -> CordisData:
    organisations: dict[str, Organisation] = {}
    names_path = _find(directory, "organisations-2017") or _find(directory, "organisations")
    if names_path is None:
        problems.append(Problem(str(directory), "", "", "no organisations-2017.csv.gz: the participations need it for names"))
    else:
        for cells in _rows(names_path, ("orgId", "name", "activityType", "city", "country"), problems):
            pic = cells.text("orgId")
            name = cells.text("name")
            if not pic:
                continue  # one row of the 2017 list has no PIC: nothing can be joined to it
            cells.required("orgId", PIC, "a nine-digit PIC")
            if not name:
                cells.problem("name", "expected the organisation's name, got an empty cell")
                continue
            organisations[pic] = Organisation(pic, name, cells.text("shortName"), cells.activity("activityType"),
                                              None, cells.text("city"), country_code(cells.text("country")))
    projects: dict[str, Project] = {}
    participations: dict[tuple[str, str], Participation] = {}
    activity: dict[str, str] = {}
    skipped = 0
    path = _find(directory, "participations")
    columns = ("rcn", "role", "pic", "type", "contribution", "start_date", "end_date", "max_contribution", "total_cost")
    participants: dict[str, set[str]] = {}  # every PIC per project, named or not
    for cells in _rows(path, columns, problems):
        rcn = cells.required("rcn", RECORD_NUMBER, "a CORDIS record number")
        pic = cells.required("pic", PIC, "a nine-digit PIC")
        role = cells.role("role")
        contribution = cells.amount("contribution")
        kind = cells.activity("type")
        if rcn not in projects:
            projects[rcn] = Project(rcn, start=cells.iso_date("start_date"), end=cells.iso_date("end_date"),
                                    eu_contribution=cells.amount("max_contribution"),
                                    total_cost=cells.amount("total_cost"))
        participants.setdefault(rcn, set()).add(pic)
        if kind:
            activity.setdefault(pic, kind)
        if pic not in organisations:
            skipped += 1
            continue
        _add_participation(participations, Participation(rcn, pic, role, contribution))
    for rcn, pics in participants.items():
        projects[rcn].participant_count = len(pics)
    for pic, kind in activity.items():
        if pic in organisations and not organisations[pic].activity_type:
            organisations[pic].activity_type = kind
    parts_path = _find(directory, "programme_parts")
    if parts_path is not None:
        for cells in _rows(parts_path, ("rcn", "programme_part"), problems):
            rcn = cells.required("rcn", RECORD_NUMBER, "a CORDIS record number")
            if rcn in projects and cells.text("programme_part"):
                projects[rcn].parts.add(cells.text("programme_part"))
    used = {p.pic for p in participations.values()}
    organisations = {pic: o for pic, o in organisations.items() if pic in used}
    return CordisData(projects, organisations, list(participations.values()), skipped)


def _read_portal(directory: Path, parts: ProgrammeParts, problems: list[Problem]) -> CordisData:
    projects: dict[str, Project] = {}
    by_grant: dict[str, str] = {}
    columns = ("id", "acronym", "title", "startDate", "endDate", "totalCost", "ecMaxContribution", "legalBasis", "rcn")
    for cells in _rows(_find(directory, "project"), columns, problems, delimiter=";"):
        rcn = cells.required("rcn", RECORD_NUMBER, "a CORDIS record number")
        grant = cells.required("id", RECORD_NUMBER, "a grant agreement number")
        part = parts.part_of_legal_basis(cells.text("legalBasis"))
        projects[rcn] = Project(rcn, grant, cells.text("acronym"), cells.text("title"), cells.iso_date("startDate"),
                                cells.iso_date("endDate"), cells.amount("ecMaxContribution"), cells.amount("totalCost"),
                                {part} if part else set())
        by_grant[grant] = rcn
    organisations: dict[str, Organisation] = {}
    participations: dict[tuple[str, str], Participation] = {}
    columns = ("projectID", "organisationID", "name", "shortName", "SME", "activityType", "city", "country", "role", "ecContribution")
    for cells in _rows(_find(directory, "organization"), columns, problems, delimiter=";"):
        grant = cells.text("projectID")
        pic = cells.required("organisationID", PIC, "a nine-digit PIC")
        role = cells.role("role")
        if grant not in by_grant:
            cells.problem("projectID", f"project {grant!r} is not in project.csv")
            continue
        name = cells.text("name")
        if not name:
            cells.problem("name", "expected the organisation's name, got an empty cell")
            continue
        organisations.setdefault(pic, Organisation(pic, name, cells.text("shortName"), cells.activity("activityType"),
                                                   cells.flag("SME"), cells.text("city"), country_code(cells.text("country"))))
        _add_participation(participations, Participation(by_grant[grant], pic, role, cells.amount("ecContribution")))
    for project in projects.values():
        project.participant_count = sum(1 for p in participations.values() if p.rcn == project.rcn) or None
    return CordisData(projects, organisations, list(participations.values()))


def _add_participation(participations: dict, new: Participation) -> None:
    """One participation per organisation and project: a repeated row adds its contribution and
    keeps the leading role (an organisation listed as coordinator and participant coordinates)."""
    key = (new.rcn, new.pic)
    old = participations.get(key)
    if old is None:
        participations[key] = new
        return
    if new.contribution is not None:
        old.contribution = (old.contribution or Decimal(0)) + new.contribution
    rank = list(ROLES)  # coordinator first
    if new.role in ROLES and (old.role not in ROLES or rank.index(new.role) < rank.index(old.role)):
        old.role = new.role


# -- RDF --------------------------------------------------------------------------------------

def cordis_triples(data: CordisData, parts: ProgrammeParts, dataset: OpenDataset = CORDIS_H2020) -> Triples:
    """The facts of a CORDIS extract, each node with its record page, licence and dataset."""
    out = Triples()
    for project in data.projects.values():
        node = project_iri(project.rcn)
        out.add(node, RDF.type, CKG.Project)
        out.add(node, RDFS.label, text(project.label))
        out.add(node, DCT.identifier, text(project.rcn))
        if project.grant:
            out.add(node, DCT.identifier, text(project.grant))
        for code in sorted(project.parts):
            out.add(node, CKG.programmePart, parts.iri(code))
        if project.start:
            out.add(node, SCHEMA.startDate, date(project.start))
        if project.end:
            out.add(node, SCHEMA.endDate, date(project.end))
        if project.eu_contribution is not None:
            out.add(node, CKG.euContribution, decimal(project.eu_contribution))
        if project.total_cost is not None:
            out.add(node, CKG.totalCost, decimal(project.total_cost))
        if project.participant_count:
            out.add(node, CKG.participantCount, integer(project.participant_count))
        describe_source(out, node, project.page, dataset)
    for organisation in data.organisations.values():
        node = organisation_iri(organisation.pic)
        out.add(node, RDF.type, ORG.FormalOrganization)
        out.add(node, RDF.type, _type_class(organisation))
        out.add(node, RDFS.label, text(organisation.name))
        out.add(node, CKG.pic, text(organisation.pic))
        if organisation.activity_type:
            out.add(node, CKG.activityType, ACTIVITY_TYPES[organisation.activity_type])
        if organisation.country:
            out.add(node, CKG.country, DATA[f"country/{organisation.country}"])
        if organisation.city:
            out.add(node, SCHEMA.addressLocality, text(organisation.city))
        describe_source(out, node, organisation_page(organisation.pic), dataset)
    for participation in data.participations:
        node = participation_iri(participation.rcn, participation.pic)
        out.add(node, RDF.type, CKG.Participation)
        out.add(node, CKG.organisation, organisation_iri(participation.pic))
        out.add(node, CKG.project, project_iri(participation.rcn))
        out.add(node, CKG.participationRole, ROLES[participation.role])
        if participation.contribution is not None:
            out.add(node, CKG.euContribution, decimal(participation.contribution))
        describe_source(out, node, data.projects[participation.rcn].page, dataset)
    return out


def _type_class(organisation: Organisation):
    if organisation.activity_type == "PRC":
        return CKG.SME if organisation.sme else CKG.OtherOrganisation
    return TYPE_CLASSES.get(organisation.activity_type, CKG.OtherOrganisation)


