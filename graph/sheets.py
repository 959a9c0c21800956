"""CSV sheets <-> RDF: the editable form of the data and the graph built from it.

Cluster managers keep data in spreadsheets, one sheet per kind of thing (``data/README.md``
documents the columns). Each sheet is declared once below as a :class:`Sheet`; the same
declaration builds RDF from rows (with every problem located by file, row and column) and
writes rows back from a graph, so that importing an export gives the same graph.

>>> graph, problems = build_rows("countries", [{"code": "DE", "name": "Germany"}], "countries.csv")
>>> problems
[]
>>> sorted(str(o) for o in graph.objects(DATA["country/DE"], SKOS.prefLabel))
['Germany']
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from clusterkg.graph.iris import check_iri
from clusterkg.graph.problems import Problem
from clusterkg.graph.reasons import N_, reason
from clusterkg.ontology.namespace import CKG, DATA, NACE, NUTS, ORG, SCHEMA

__all__ = [
    "SHEETS",
    "Sheet",
    "Column",
    "sheet_for_file",
    "read_sheet_file",
    "build_rows",
    "graph_to_rows",
    "removal_patterns",
    "ROW_ANCHORS",
    "ROW_CLASSES",
    "replaced_patterns",
    "write_sheets",
    "slugify",
    "DATA",
]

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
COUNTRY_CODE = re.compile(r"[A-Z]{2}")
YEAR = re.compile(r"[0-9]{4}")  # ASCII digits only: \d would also accept Arabic-Indic or full-width digits
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WHOLE_NUMBER = re.compile(r"[0-9]{1,15}")
URL = re.compile(r"https?://[^/?#\s]+([/?#]\S*)?")
NUTS_CODE = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}")
NACE_SECTION = re.compile(r"[A-U]")
#: Characters XML 1.0 cannot carry (C0 controls other than tab and line breaks, U+FFFE, U+FFFF):
#: a cell holding one would make the RDF/XML, GraphML and GEXF exports unreadable.
NOT_XML_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MULTI_SEPARATOR = ";"
URL_SEPARATOR = "|"
#: Longest cell accepted (characters). The longest cell of the bundled sheets holds about 500.
MAX_CELL_CHARS = 10_000
#: Longest id accepted (characters). The longest bundled id holds 65.
MAX_ID_CHARS = 100
#: Joins the parts of a composed row id (an affiliation is ``{cluster}--{organisation}--{relation}``),
#: which is why no id may contain it: ``a--b`` + ``c`` and ``a`` + ``b--c`` would name one node.
KEY_JOINER = "--"
ID_RULE = N_(
    "an id: lowercase ASCII letters and digits in words joined by single hyphens, e.g. silicon-saxony "
    "(no leading, trailing or double hyphen: `%(joiner)s` joins the parts of composed ids), "
    "at most %(limit)s characters"
)


def check_id(value: str) -> str:
    """The one id rule of the sheets (``data/README.md``); returns the id or raises ValueError.

    >>> check_id("silicon-saxony")
    'silicon-saxony'
    >>> check_id("a--b")
    Traceback (most recent call last):
        ...
    ValueError: expected an id: lowercase ASCII letters and digits in words joined by single hyphens, e.g. silicon-saxony (no leading, trailing or double hyphen: `--` joins the parts of composed ids), at most 100 characters; got 'a--b'
    """
    if len(value) > MAX_ID_CHARS or not SLUG.fullmatch(value):
        raise ValueError(reason(N_("expected %(rule)s; got %(value)s"), value=_shown(value),
                                rule=reason(ID_RULE, joiner=KEY_JOINER, limit=str(MAX_ID_CHARS))))
    return value


def slugify(name: str) -> str:
    """A name as an id that passes :func:`check_id`: ASCII-fold, lowercase, other runs become ``-``.

    >>> slugify("Pôle Mer Méditerranée")
    'pole-mer-mediterranee'
    """
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def check_country_code(value: str) -> str:
    """A country cell: an ISO 3166-1 alpha-2 code; returns it or raises ValueError."""
    if not COUNTRY_CODE.fullmatch(value):
        raise ValueError(reason(N_("expected a country code like DE (two capital ASCII letters), got %(value)s"), value=_shown(value)))
    return value


def _shown(value: str, limit: int = 80) -> str:
    """A cell value as quoted in a message: repr (shows control characters), shortened."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value)} characters)"


# ---------------------------------------------------------------------------------------------
# Column value types: each parses a cell into RDF terms (or raises ValueError with what was
# expected) and formats RDF terms back into a cell.


@dataclass(frozen=True)
class ValueType:
    """How one cell value becomes an RDF term and back."""

    parse: Callable[[str], object]
    format: Callable[[object], str]
    expected: str


def _text(value: str) -> str:
    bad = NOT_XML_TEXT.search(value)
    if bad:
        raise ValueError(reason(
            N_("holds the control character %(character)s at position %(position)s; "
               "expected text (tab and line breaks are the only control characters allowed)"),
            character=f"U+{ord(bad.group()):04X}", position=str(bad.start() + 1)))
    return value


def _text_parse(value: str) -> Literal:
    return Literal(_text(value))


def _english_parse(value: str) -> Literal:
    return Literal(_text(value), lang="en")


def _russian_parse(value: str) -> Literal:
    return Literal(_text(value), lang="ru")


def _german_parse(value: str) -> Literal:
    return Literal(_text(value), lang="de")


def _french_parse(value: str) -> Literal:
    return Literal(_text(value), lang="fr")


def _format_literal(term: object) -> str:
    return str(term)


def _check_year(value: str) -> str:
    if not YEAR.fullmatch(value) or value == "0000":
        raise ValueError(reason(N_("expected a four-digit year of ASCII digits (YYYY, e.g. 2005), got %(value)s"), value=_shown(value)))
    return value


def _check_date(value: str) -> str:
    if DATE.fullmatch(value):
        try:
            datetime.date.fromisoformat(value)
            return value
        except ValueError as error:
            raise ValueError(reason(N_("expected a calendar date (YYYY-MM-DD), got %(value)s: %(error)s"),
                                    value=_shown(value), error=str(error))) from None
    raise ValueError(reason(N_("expected a year (YYYY) or a date (YYYY-MM-DD), ASCII digits, got %(value)s"), value=_shown(value)))


def _year_or_date(value: str) -> Literal:
    if YEAR.fullmatch(value):
        return Literal(_check_year(value), datatype=XSD.gYear)
    return Literal(_check_date(value), datatype=XSD.date)


def _date(value: str) -> Literal:
    if not DATE.fullmatch(value):
        raise ValueError(reason(N_("expected a date (YYYY-MM-DD), ASCII digits, got %(value)s"), value=_shown(value)))
    return Literal(_check_date(value), datatype=XSD.date)


def _year(value: str) -> Literal:
    return Literal(_check_year(value), datatype=XSD.gYear)


def _integer(value: str) -> Literal:
    if not WHOLE_NUMBER.fullmatch(value):
        raise ValueError(reason(N_("expected a whole number of at most 15 ASCII digits (e.g. 120), got %(value)s"), value=_shown(value)))
    return Literal(int(value))


def _url(value: str) -> URIRef:
    if not URL.fullmatch(value):
        raise ValueError(reason(N_("expected an http(s) URL, got %(value)s"), value=_shown(value)))
    check_iri(value)
    try:
        urlsplit(value).port  # noqa: B018 -- raises on a port that is not a number in 0-65535
    except ValueError as error:
        raise ValueError(reason(N_("expected an http(s) URL, got %(value)s: %(error)s"), value=_shown(value), error=str(error))) from None
    return URIRef(value)


def _nuts_code(value: str) -> Literal:
    if not NUTS_CODE.fullmatch(value):
        raise ValueError(reason(N_("expected a NUTS code (two capital letters and up to three capitals or digits, e.g. DED2), got %(value)s"),
                                value=_shown(value)))
    return Literal(value)


TEXT = ValueType(_text_parse, _format_literal, reason(N_("text")))
ENGLISH = ValueType(_english_parse, _format_literal, reason(N_("text")))
#: a name in Russian (``"…"@ru``), beside the untagged (English) one of the same predicate
RUSSIAN = ValueType(_russian_parse, _format_literal, reason(N_("text in Russian")))
GERMAN = ValueType(_german_parse, _format_literal, reason(N_("text in German")))
FRENCH = ValueType(_french_parse, _format_literal, reason(N_("text in French")))
# the language of the literals a text type writes, where two columns share a predicate
object.__setattr__(ENGLISH, "language", "en")
object.__setattr__(RUSSIAN, "language", "ru")
object.__setattr__(GERMAN, "language", "de")
object.__setattr__(FRENCH, "language", "fr")
YEAR_OR_DATE = ValueType(_year_or_date, _format_literal, reason(N_("YYYY or YYYY-MM-DD")))
YEAR_ONLY = ValueType(_year, _format_literal, "YYYY")
DATE_ONLY = ValueType(_date, _format_literal, "YYYY-MM-DD")
INTEGER = ValueType(_integer, _format_literal, reason(N_("a whole number")))
URL_VALUE = ValueType(_url, _format_literal, reason(N_("an http(s) URL")))
NUTS_VALUE = ValueType(_nuts_code, _format_literal, reason(N_("a NUTS code")))
COUNTRY_CODE_VALUE = ValueType(lambda value: Literal(check_country_code(value)), _format_literal,
                               reason(N_("a country code like DE")))


def reference(kind: str, check: Callable[[str], str] = check_id) -> ValueType:
    """A cell naming another row by id: becomes the IRI of that thing."""

    def parse(value: str) -> URIRef:
        return DATA[f"{kind}/{check(value)}"]

    def format(term: object) -> str:
        return str(term).rsplit("/", 1)[-1]

    vt = ValueType(parse, format, reason(N_("a %(kind)s id"), kind=kind))
    object.__setattr__(vt, "kind", kind)  # lets the export keep only this kind's IRIs in the column
    return vt


def choice(options: dict[str, URIRef]) -> ValueType:
    """A cell holding one of a fixed set of words, each standing for an ontology term."""
    inverse = {iri: word for word, iri in options.items()}

    def parse(value: str) -> URIRef:
        if value not in options:
            raise ValueError(reason(N_("expected one of %(options)s, got %(value)s"), options=list(options), value=_shown(value)))
        return options[value]

    def format(term: object) -> str:
        return inverse[term]  # type: ignore[index]

    vt = ValueType(parse, format, reason(N_("one of %(options)s"), options=list(options)))
    object.__setattr__(vt, "options", inverse)
    return vt


@dataclass(frozen=True)
class Column:
    """A sheet column: the predicate its values become, and how they are written.

    ``inverse`` columns state the triple the other way round (value → predicate → row's node),
    for sheets whose rows are qualified relations (a claim is reached *from* its organisation).
    """

    name: str
    predicate: URIRef
    value: ValueType = TEXT
    required: bool = False
    multi: bool = False
    inverse: bool = False
    separator: str = MULTI_SEPARATOR


@dataclass(frozen=True)
class Sheet:
    """One kind of row: its columns, the node each row becomes and the triples derived from it."""

    name: str
    kind: str  # the {kind} in https://w3id.org/clusterkg/id/{kind}/{id}
    classes: tuple[URIRef, ...]
    key: Callable[[dict[str, str]], str]  # the row's id (IRI tail), from its cells
    key_columns: tuple[str, ...]
    columns: tuple[Column, ...]
    derive: Callable[[URIRef, dict[str, list], Graph], None] | None = None
    key_check: Callable[[str], str] = check_id  # the rule of the id column (countries: a code)
    extra_columns: tuple[str, ...] = field(default=())  # cells used by `derive` only
    #: rules across cells of a row: each yields (column, message) for what is wrong
    checks: tuple[Callable[[dict[str, str]], Iterable[tuple[str, str]]], ...] = ()
    #: columns naming whose rows these are: a replacement makes a named holder's rows exactly the
    #: sheet's (see :func:`replaced_patterns`)
    holders: tuple[str, ...] = ()
    #: predicates `derive` states between a holder and another node (shortcuts such as
    #: ``ckg:needsCompetency``), from the holder of an inverse holder column, else to the holder:
    #: a holder's replaced rows take theirs along
    derived: tuple[URIRef, ...] = ()
    #: predicates and classes `derive` states on the row's own node
    node_derived: tuple[URIRef, ...] = ()
    node_types: tuple[URIRef, ...] = ()

    @property
    def column_names(self) -> list[str]:
        names = [c.name for c in self.columns]
        for key in self.key_columns:
            if key not in names:
                names.insert(0, key)
        return names

    def node(self, key: str) -> URIRef:
        return DATA[f"{self.kind}/{key}"]


def _source_columns() -> tuple[Column, ...]:
    return (
        Column("source_url", DCTERMS.source, URL_VALUE, required=True, multi=True, separator=URL_SEPARATOR),
        Column("source_quote", CKG.sourceQuote, TEXT),
    )


def _optional_source() -> tuple[Column, ...]:
    return (Column("source_url", DCTERMS.source, URL_VALUE, multi=True, separator=URL_SEPARATOR),)


ORGANISATION_TYPES = {
    "sme": CKG.SME,
    "large_enterprise": CKG.LargeEnterprise,
    "university": CKG.University,
    "research_institute": CKG.ResearchInstitute,
    "technopark": CKG.Technopark,
    "public_body": CKG.PublicBody,
    "association": CKG.Association,
    "investor": CKG.Investor,
    "cluster_organisation": CKG.ClusterManagementOrganisation,
    "hospital": CKG.Hospital,
    "other": CKG.OtherOrganisation,
}
AFFILIATION_TYPES = {
    "member": CKG.Member,
    "founding_member": CKG.FoundingMember,
    "board_member": CKG.BoardMember,
    "resident": CKG.Resident,
    "project_partner": CKG.ProjectPartner,
    "located_in_region": CKG.LocatedInRegion,
}
MEMBERSHIP_TYPES = {CKG.Member, CKG.FoundingMember, CKG.BoardMember, CKG.Resident}
PARTNERSHIP_LEVELS = {
    "cross_cluster_project": CKG.CrossClusterProject,
    "super_regional_cluster": CKG.SuperRegionalCluster,
    "meta_cluster": CKG.MetaCluster,
    "cooperation_agreement": CKG.CooperationAgreement,
}
COMPETENCY_LEVELS = {"basic": CKG.LevelBasic, "advanced": CKG.LevelAdvanced, "leading": CKG.LevelLeading}
#: claim basis: how a competency claim is known (``basis`` column of organisation_competencies.csv)
CLAIM_BASES = {"stated": CKG.BasisStated, "cluster_specialisation": CKG.BasisClusterSpecialisation,
               "programme_specialisation": CKG.BasisProgrammeSpecialisation,
               "project_participation": CKG.BasisProjectParticipation}
CLUSTER_STAGES = {"emerging": CKG.StageEmerging, "growing": CKG.StageGrowing, "mature": CKG.StageMature}
POLICY_MODELS = {"dirigiste": CKG.DirigisteModel, "liberal": CKG.LiberalModel, "mixed": CKG.MixedModel}
SUPPORT_INSTRUMENTS = {
    "direct_financial_support": CKG.DirectFinancialSupport,
    "tax_incentives": CKG.TaxIncentives,
    "innovation_funds": CKG.InnovationFunds,
    "risk_reduction_programmes": CKG.RiskReductionProgrammes,
    "development_institutions": CKG.DevelopmentInstitutions,
    "coordinating_authorities": CKG.CoordinatingAuthorities,
    "ip_protection": CKG.IPProtection,
    "targeted_research_funding": CKG.TargetedResearchFunding,
}
RESOURCE_KINDS = {
    "equipment": CKG.Equipment,
    "laboratory": CKG.Laboratory,
    "test_bed": CKG.TestBed,
    "pilot_line": CKG.PilotLine,
    "facility": CKG.Facility,
    "service": CKG.Service,
}
INDUSTRY_SCHEMES = ("eu-emerging-industries", "eu-industrial-ecosystems", "nace-sections")
COMPETENCY_SCHEME = DATA["scheme/competencies"]
COUNTRY_SCHEME = DATA["scheme/countries"]
REGION_SCHEME = DATA["scheme/regions"]

COUNTRY = reference("country", check_country_code)
REGION = reference("region")
INDUSTRY = reference("industry")
COMPETENCY = reference("competency")
CLUSTER = reference("cluster")
ORGANISATION = reference("org")


def _derive_country(node: URIRef, values: dict[str, list], graph: Graph) -> None:
    graph.add((node, SKOS.inScheme, COUNTRY_SCHEME))


def _derive_region(node: URIRef, values: dict[str, list], graph: Graph) -> None:
    graph.add((node, SKOS.inScheme, REGION_SCHEME))
    for code in values.get("nuts_code", []):
        graph.add((node, SKOS.exactMatch, NUTS[str(code)]))


def _derive_industry(node: URIRef, values: dict[str, list], graph: Graph) -> None:
    for scheme in values.get("scheme", []):
        graph.add((node, SKOS.topConceptOf, scheme))
        if scheme == DATA["scheme/nace-sections"]:
            for notation in values.get("notation", []):
                graph.add((node, SKOS.exactMatch, NACE[str(notation)]))


def _derive_competency(node: URIRef, values: dict[str, list], graph: Graph) -> None:
    graph.add((node, SKOS.inScheme, COMPETENCY_SCHEME))
    if not values.get("broader"):
        graph.add((node, SKOS.topConceptOf, COMPETENCY_SCHEME))


def _derive_affiliation(node: URIRef, values: dict[str, list], graph: Graph) -> None:
    orgs, clusters, kinds = values.get("organisation", []), values.get("cluster", []), values.get("relation", [])
    if not (orgs and clusters and kinds):
        return
    organisation, cluster, kind = orgs[0], clusters[0], kinds[0]
    graph.add((organisation, CKG.affiliatedWith, cluster))
    if kind in MEMBERSHIP_TYPES:
        graph.add((node, RDF.type, ORG.Membership))
        graph.add((node, ORG.member, organisation))
        graph.add((node, ORG.organization, cluster))
        graph.add((organisation, ORG.memberOf, cluster))
    elif kind == CKG.ProjectPartner:
        graph.add((organisation, CKG.projectPartnerOf, cluster))
    elif kind == CKG.LocatedInRegion:
        graph.add((organisation, CKG.locatedInRegionOf, cluster))


def _derive_claim(node: URIRef, values: dict[str, list], graph: Graph) -> None:
    for organisation in values.get("organisation", []):
        for competency in values.get("competency", []):
            graph.add((organisation, CKG.hasCompetency, competency))


def _derive_need(node: URIRef, values: dict[str, list], graph: Graph) -> None:
    for holder in values.get("cluster", []) + values.get("organisation", []):
        for competency in values.get("competency", []):
            graph.add((holder, CKG.needsCompetency, competency))


def _derive_partnership(node: URIRef, values: dict[str, list], graph: Graph) -> None:
    graph.add((node, RDF.type, ORG.OrganizationalCollaboration))


def _one_holder(row: dict[str, str]) -> Iterator[tuple[str, str]]:
    if bool(row.get("cluster")) == bool(row.get("organisation")):
        yield "cluster, organisation", reason(N_("exactly one of the two must be filled"))


def _sourced_name(row: dict[str, str]) -> Iterator[tuple[str, str]]:
    """A name in another language is data like any other: the row's source must give it, so it
    must be found in the source quote (never a transliteration or a translation of our own)."""
    name = " ".join(row.get("name_ru", "").split())
    quote = " ".join(row.get("source_quote", "").split())
    if name and name.casefold() not in quote.casefold():
        yield "name_ru", reason(N_("the Russian name %(name)s is not in the source quote: quote the source where it gives "
                                   "this name (a name of our own, transliterated or translated, is not a source's name)"),
                                name=_shown(name))


def _nace_notation(row: dict[str, str]) -> Iterator[tuple[str, str]]:
    """A NACE section's notation becomes the IRI of that section, so it must be a section letter."""
    notation = row.get("notation", "")
    if row.get("scheme") == "nace-sections" and notation and not NACE_SECTION.fullmatch(notation):
        yield "notation", reason(N_("expected a NACE Rev.2 section letter (A to U) in the nace-sections scheme, got %(value)s"),
                                value=_shown(notation))


def _need_key(row: dict[str, str]) -> str:
    holder = f"cluster-{row.get('cluster', '')}" if row.get("cluster") else f"org-{row.get('organisation', '')}"
    return KEY_JOINER.join((holder, row.get("competency", "")))


SHEETS: dict[str, Sheet] = {
    sheet.name: sheet
    for sheet in [
        Sheet(
            "countries",
            "country",
            (CKG.Country, SKOS.Concept),
            key=lambda row: row.get("code", ""),
            key_columns=("code",),
            key_check=check_country_code,
            columns=(
                Column("code", SKOS.notation, COUNTRY_CODE_VALUE, required=True),
                Column("name", SKOS.prefLabel, ENGLISH, required=True),
                *_optional_source(),
                # the ISO 3166-1 name in Russian (iso-codes; graph/ingest/place_names.py derives it)
                Column("name_ru", SKOS.prefLabel, RUSSIAN),
            ),
            derive=_derive_country,
            node_derived=(SKOS.inScheme,),
        ),
        Sheet(
            "regions",
            "region",
            (CKG.Region, SKOS.Concept),
            key=lambda row: row.get("id", ""),
            key_columns=("id",),
            columns=(
                Column("name", SKOS.prefLabel, ENGLISH, required=True),
                Column("country", CKG.country, COUNTRY, required=True),
                Column("nuts_code", SKOS.notation, NUTS_VALUE),
                *_optional_source(),
                # the Russian ISO 3166-2 name where iso-codes has one (graph/ingest/place_names.py)
                Column("name_ru", SKOS.prefLabel, RUSSIAN),
            ),
            derive=_derive_region,
            node_derived=(SKOS.inScheme, SKOS.exactMatch),
        ),
        Sheet(
            "industries",
            "industry",
            (CKG.Industry, SKOS.Concept),
            key=lambda row: row.get("id", ""),
            key_columns=("id",),
            columns=(
                Column(
                    "scheme",
                    SKOS.inScheme,
                    choice({s: DATA[f"scheme/{s}"] for s in INDUSTRY_SCHEMES}),
                    required=True,
                ),
                Column("notation", SKOS.notation, TEXT, required=True),
                Column("label", SKOS.prefLabel, ENGLISH, required=True),
                *_optional_source(),
            ),
            derive=_derive_industry,
            checks=(_nace_notation,),
            node_derived=(SKOS.topConceptOf,),  # (not skos:exactMatch: data/mappings/ add those too)
        ),
        Sheet(
            "competencies",
            "competency",
            (CKG.Competency, SKOS.Concept),
            key=lambda row: row.get("id", ""),
            key_columns=("id",),
            columns=(
                Column("label", SKOS.prefLabel, ENGLISH, required=True),
                Column("broader", SKOS.broader, COMPETENCY),
                Column("industries", CKG.appliedIn, INDUSTRY, multi=True),
                Column("alt_labels", SKOS.altLabel, TEXT, multi=True),
                Column("definition", SKOS.definition, ENGLISH),
                *_optional_source(),
                # last: rows written by position keep their meaning
                Column("alt_labels_ru", SKOS.altLabel, RUSSIAN, multi=True),
                # the preferred term per language (skos:prefLabel "…"@ru/@de/@fr) and the others
                Column("label_ru", SKOS.prefLabel, RUSSIAN),
                Column("label_de", SKOS.prefLabel, GERMAN),
                Column("alt_labels_de", SKOS.altLabel, GERMAN, multi=True),
                Column("label_fr", SKOS.prefLabel, FRENCH),
                Column("alt_labels_fr", SKOS.altLabel, FRENCH, multi=True),
            ),
            derive=_derive_competency,
            node_derived=(SKOS.inScheme, SKOS.topConceptOf),
        ),
        Sheet(
            "clusters",
            "cluster",
            (CKG.Cluster, ORG.OrganizationalCollaboration),
            key=lambda row: row.get("id", ""),
            key_columns=("id",),
            columns=(
                Column("name", RDFS.label, TEXT, required=True),
                Column("alt_names", SKOS.altLabel, TEXT, multi=True),
                Column("countries", CKG.country, COUNTRY, required=True, multi=True),
                Column("regions", CKG.region, REGION, multi=True),
                Column("city", SCHEMA.addressLocality, TEXT, multi=True),
                Column("industries", CKG.industry, INDUSTRY, multi=True),
                Column("founded", SCHEMA.foundingDate, YEAR_ONLY),
                Column("stage", CKG.stage, choice(CLUSTER_STAGES)),
                Column("cluster_organisation", CKG.clusterOrganisation, ORGANISATION),
                Column("website", SCHEMA.url, URL_VALUE),
                Column("member_count", CKG.memberCount, INTEGER),
                Column("member_count_year", CKG.memberCountYear, YEAR_ONLY),
                *_source_columns(),
                Column("name_ru", RDFS.label, RUSSIAN),  # last: rows written by position keep their meaning
            ),
            checks=(_sourced_name,),
        ),
        Sheet(
            "organisations",
            "org",
            (ORG.FormalOrganization,),
            key=lambda row: row.get("id", ""),
            key_columns=("id",),
            columns=(
                Column("name", RDFS.label, TEXT, required=True),
                Column("type", RDF.type, choice(ORGANISATION_TYPES), required=True),
                Column("country", CKG.country, COUNTRY),
                Column("region", CKG.region, REGION),
                Column("city", SCHEMA.addressLocality, TEXT),
                Column("website", SCHEMA.url, URL_VALUE),
                *_source_columns(),
                Column("name_ru", RDFS.label, RUSSIAN),
            ),
            checks=(_sourced_name,),
        ),
        Sheet(
            "affiliations",
            "affiliation",
            (CKG.Affiliation,),
            key=lambda row: KEY_JOINER.join(
                (row.get("cluster", ""), row.get("organisation", ""), row.get("relation", "").replace("_", "-"))
            ),
            key_columns=(),
            columns=(
                Column("cluster", CKG.cluster, CLUSTER, required=True),
                Column("organisation", CKG.organisation, ORGANISATION, required=True),
                Column("relation", CKG.affiliationType, choice(AFFILIATION_TYPES), required=True),
                Column("role", CKG.roleLabel, TEXT),
                Column("start", SCHEMA.startDate, YEAR_OR_DATE),
                Column("end", SCHEMA.endDate, YEAR_OR_DATE),
                *_source_columns(),
            ),
            derive=_derive_affiliation,
            holders=("cluster",),
            derived=(CKG.affiliatedWith, ORG.memberOf, CKG.projectPartnerOf, CKG.locatedInRegionOf),
        ),
        Sheet(
            "organisation_competencies",
            "claim",
            (CKG.CompetencyClaim,),
            key=lambda row: KEY_JOINER.join((row.get("organisation", ""), row.get("competency", ""))),
            key_columns=(),
            columns=(
                Column("organisation", CKG.qualifiedCompetency, ORGANISATION, required=True, inverse=True),
                Column("competency", CKG.competency, COMPETENCY, required=True),
                Column("level", CKG.level, choice(COMPETENCY_LEVELS)),
                Column("basis", CKG.claimBasis, choice(CLAIM_BASES)),  # claim basis: how the claim is known
                *_source_columns(),
            ),
            derive=_derive_claim,
            holders=("organisation",),
            derived=(CKG.hasCompetency,),
        ),
        Sheet(
            "needs",
            "need",
            (CKG.CompetencyNeed,),
            key=_need_key,
            key_columns=(),
            columns=(
                Column("cluster", CKG.qualifiedNeed, CLUSTER, inverse=True),
                Column("organisation", CKG.qualifiedNeed, ORGANISATION, inverse=True),
                Column("competency", CKG.competency, COMPETENCY, required=True),
                Column("description", DCTERMS.description, TEXT),
                Column("valid_until", SCHEMA.validThrough, DATE_ONLY),  # the last day the need holds
                *_source_columns(),
            ),
            derive=_derive_need,
            checks=(_one_holder,),
            holders=("cluster", "organisation"),
            derived=(CKG.needsCompetency,),
        ),
        Sheet(
            "partnerships",
            "partnership",
            (CKG.Partnership,),
            key=lambda row: row.get("id", ""),
            key_columns=("id",),
            columns=(
                Column("name", RDFS.label, TEXT, required=True),
                Column("level", RDF.type, choice(PARTNERSHIP_LEVELS), required=True),
                Column("participants", CKG.participant, CLUSTER, required=True, multi=True),
                Column("start", SCHEMA.startDate, YEAR_OR_DATE),
                Column("end", SCHEMA.endDate, YEAR_OR_DATE),
                Column("topic", DCTERMS.description, TEXT),
                *_source_columns(),
            ),
            derive=_derive_partnership,
            node_types=(ORG.OrganizationalCollaboration,),
        ),
        Sheet(
            "policies",
            "policy",
            (CKG.ClusterPolicy,),
            key=lambda row: row.get("country", ""),
            key_columns=(),
            key_check=check_country_code,
            columns=(
                Column("country", CKG.country, COUNTRY, required=True),
                Column("policy_model", CKG.policyModel, choice(POLICY_MODELS)),
                Column("instruments", CKG.supportInstrument, choice(SUPPORT_INSTRUMENTS), multi=True),
                Column("instrument_count", CKG.instrumentCount, INTEGER),
                *_source_columns(),
            ),
        ),
        Sheet(
            "resources",
            "resource",
            (CKG.SharedResource,),
            key=lambda row: row.get("id", ""),
            key_columns=("id",),
            columns=(
                Column("organisation", CKG.offeredBy, ORGANISATION, required=True),
                Column("kind", CKG.resourceKind, choice(RESOURCE_KINDS), required=True),
                Column("label", RDFS.label, TEXT, required=True),
                Column("competencies", CKG.relatedCompetency, COMPETENCY, multi=True),
                *_source_columns(),
            ),
            holders=("organisation",),
        ),
        Sheet(
            "developments",
            "development",
            (CKG.Development,),
            key=lambda row: row.get("id", ""),
            key_columns=("id",),
            columns=(
                Column("organisation", CKG.developedBy, ORGANISATION, required=True),
                Column("label", RDFS.label, TEXT, required=True),
                Column("description", DCTERMS.description, TEXT),
                Column("competencies", CKG.relatedCompetency, COMPETENCY, multi=True),
                Column("industries", CKG.industry, INDUSTRY, multi=True),
                Column("date", DCTERMS.date, YEAR_OR_DATE),
                *_source_columns(),
            ),
            holders=("organisation",),
        ),
    ]
}


# >>> Events (blitz sessions, round tables, project working groups) >>>
# The sheets of the organisational tools (README "Events"). Events are recorded by the cluster
# team, so their source URL is optional.

TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
EVENT_KINDS = {"blitz_session": CKG.BlitzSession, "round_table": CKG.RoundTable}
EVENT_ROLES = {
    "presenter": CKG.EventPresenter,
    "participant": CKG.EventParticipant,
    "stakeholder": CKG.EventStakeholder,
    "moderator": CKG.EventModerator,
}
OUTCOME_KINDS = {"challenge": CKG.Challenge, "opportunity": CKG.Opportunity}


def _time_of_day(value: str) -> Literal:
    if not TIME_OF_DAY.fullmatch(value):
        raise ValueError(reason(N_("expected a time of day HH:MM on a 24-hour clock (e.g. 09:30), got %(value)s"), value=_shown(value)))
    return Literal(value)


def _boolean(value: str) -> Literal:
    if value not in ("true", "false"):
        raise ValueError(reason(N_("expected true or false, got %(value)s"), value=_shown(value)))
    return Literal(value == "true")


def _positive(value: str) -> Literal:
    number = _integer(value)
    if int(number) < 1:
        raise ValueError(reason(N_("expected a whole number of at least 1, got %(value)s"), value=_shown(value)))
    return number


TIME_VALUE = ValueType(_time_of_day, _format_literal, reason(N_("HH:MM")))
BOOLEAN = ValueType(_boolean, lambda term: "true" if term.toPython() is True else "false", reason(N_("true or false")))
POSITIVE = ValueType(_positive, _format_literal, reason(N_("a whole number of at least 1")))
EVENT = reference("event")
PARTNERSHIP = reference("partnership")


def _holder(row: dict[str, str], prefix: str = "") -> str:
    """``cluster-{id}`` or ``org-{id}``: the part of a composed id that names a cluster or organisation."""
    cluster, organisation = row.get(f"{prefix}cluster", ""), row.get(f"{prefix}organisation", "")
    return f"cluster-{cluster}" if cluster else f"org-{organisation}"


def _one_of(prefix: str) -> Callable[[dict[str, str]], Iterator[tuple[str, str]]]:
    def check(row: dict[str, str]) -> Iterator[tuple[str, str]]:
        if bool(row.get(f"{prefix}cluster")) == bool(row.get(f"{prefix}organisation")):
            yield f"{prefix}cluster, {prefix}organisation", reason(N_("exactly one of the two must be filled"))
    return check


def _not_oneself(row: dict[str, str]) -> Iterator[tuple[str, str]]:
    if _holder(row, "by_") == _holder(row, "with_") and (row.get("by_cluster") or row.get("by_organisation")):
        yield "with_cluster, with_organisation", reason(N_("a participant cannot ask to meet itself"))


EVENT_SHEETS = [
    Sheet(
        "events",
        "event",
        (CKG.Event, SCHEMA.Event),
        key=lambda row: row.get("id", ""),
        key_columns=("id",),
        columns=(
            Column("kind", RDF.type, choice(EVENT_KINDS), required=True),
            Column("name", RDFS.label, TEXT, required=True),
            Column("date", SCHEMA.startDate, DATE_ONLY, required=True),
            Column("end_date", SCHEMA.endDate, DATE_ONLY),
            Column("start_time", CKG.startTime, TIME_VALUE),
            Column("place", SCHEMA.location, TEXT),
            Column("organiser", SCHEMA.organizer, CLUSTER, required=True),
            Column("competencies", CKG.relatedCompetency, COMPETENCY, multi=True),
            Column("industries", CKG.industry, INDUSTRY, multi=True),
            Column("tables", CKG.tableCount, POSITIVE),
            Column("slots", CKG.slotCount, POSITIVE),
            Column("slot_minutes", CKG.slotMinutes, POSITIVE),
            Column("presentation_minutes", CKG.presentationMinutes, INTEGER),
            Column("description", DCTERMS.description, TEXT),
            *_optional_source(),
        ),
    ),
    Sheet(
        "event_participants",
        "attendance",
        (CKG.EventAttendance,),
        key=lambda row: KEY_JOINER.join((row.get("event", ""), _holder(row))),
        key_columns=(),
        columns=(
            Column("event", CKG.event, EVENT, required=True),
            Column("cluster", CKG.attendee, CLUSTER),
            Column("organisation", CKG.attendee, ORGANISATION),
            Column("role", CKG.eventRole, choice(EVENT_ROLES), required=True),
            Column("offers", CKG.offersText, TEXT),
            Column("looks_for", CKG.seeksText, TEXT),
            Column("offers_competencies", CKG.offersCompetency, COMPETENCY, multi=True),
            Column("looks_for_competencies", CKG.seeksCompetency, COMPETENCY, multi=True),
            Column("available_slots", CKG.availableSlot, POSITIVE, multi=True),
        ),
        checks=(_one_of(""),),
    ),
    Sheet(
        "meeting_requests",
        "meeting-request",
        (CKG.MeetingRequest,),
        key=lambda row: KEY_JOINER.join((row.get("event", ""), _holder(row, "by_"), _holder(row, "with_"))),
        key_columns=(),
        columns=(
            Column("event", CKG.event, EVENT, required=True),
            Column("by_cluster", CKG.requestedBy, CLUSTER),
            Column("by_organisation", CKG.requestedBy, ORGANISATION),
            Column("with_cluster", CKG.requestedWith, CLUSTER),
            Column("with_organisation", CKG.requestedWith, ORGANISATION),
            Column("note", DCTERMS.description, TEXT),
        ),
        checks=(_one_of("by_"), _one_of("with_"), _not_oneself),
    ),
    Sheet(
        "event_outcomes",
        "outcome",
        (CKG.EventOutcome,),
        key=lambda row: row.get("id", ""),
        key_columns=("id",),
        columns=(
            Column("event", CKG.event, EVENT, required=True),
            Column("kind", CKG.outcomeKind, choice(OUTCOME_KINDS), required=True),
            Column("label", RDFS.label, TEXT, required=True),
            Column("description", DCTERMS.description, TEXT),
            Column("competencies", CKG.relatedCompetency, COMPETENCY, required=True, multi=True),
            Column("partnerships", CKG.ledTo, PARTNERSHIP, multi=True),
        ),
    ),
    Sheet(
        "working_groups",
        "working-group",
        (CKG.ProjectWorkingGroup,),
        key=lambda row: row.get("id", ""),
        key_columns=("id",),
        columns=(
            Column("name", RDFS.label, TEXT, required=True),
            Column("organiser", SCHEMA.organizer, CLUSTER),
            Column("competencies", CKG.relatedCompetency, COMPETENCY, required=True, multi=True),
            Column("industries", CKG.industry, INDUSTRY, multi=True),
            Column("members", ORG.hasMember, ORGANISATION, required=True, multi=True),
            Column("start", SCHEMA.startDate, YEAR_OR_DATE),
            Column("end", SCHEMA.endDate, YEAR_OR_DATE),
            Column("paid_membership", CKG.paidMembership, BOOLEAN),
            Column("project", CKG.ledTo, PARTNERSHIP),
            Column("description", DCTERMS.description, TEXT),
            *_optional_source(),
        ),
    ),
]
SHEETS.update((sheet.name, sheet) for sheet in EVENT_SHEETS)
# <<< Events <<<


# ---------------------------------------------------------------------------------------------
# Reading: rows -> RDF, with every problem located.


def sheet_for_file(path: str | Path) -> Sheet | None:
    """The sheet a CSV file holds, from its name: ``clusters.csv`` or ``2026-clusters.csv``."""
    stem = Path(path).stem.lower()
    for name in sorted(SHEETS, key=len, reverse=True):
        if stem == name or re.search(rf"(^|[-_.]){re.escape(name)}$", stem):
            return SHEETS[name]
    return None


@dataclass
class SheetResult:
    """The RDF built from one sheet file and what was wrong with it.

    ``origins`` says where each node came from (``node -> "row N"``) so later checks such as
    SHACL can point at the row. ``partial`` holds what could be read of rows that have cell
    problems: it is never written, but its references are still checked, so one run reports
    every problem of a row, not only the first kind.
    """

    graph: Graph
    problems: list[Problem]
    origins: dict[URIRef, str]
    partial: Graph = field(default_factory=Graph)


def read_sheet_file(path: str | Path, text: str | None = None) -> SheetResult:
    """Build the RDF of one CSV sheet file (see :class:`SheetResult`)."""
    name = Path(path).name
    sheet = sheet_for_file(path)
    if sheet is None:
        expected = ", ".join(f"{s}.csv" for s in SHEETS)
        return SheetResult(Graph(), [Problem(name, "", "", reason(N_("unknown sheet: the file name must end in one of %(expected)s"),
                                                                 expected=expected))], {})
    if text is None:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            return SheetResult(Graph(), [Problem(name, "", "", reason(N_("cannot read the file: %(error)s"),
                                                                     error=str(error.strerror or error)))], {})
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            return SheetResult(Graph(), [Problem(name, f"line {line}", "", reason(
                N_("not UTF-8 text (%(reason)s at byte %(byte)s); save the sheet as UTF-8 CSV"),
                reason=error.reason, byte=str(error.start)))], {})
    header, rows, problems = _read_records(text.removeprefix("\ufeff"), name, sheet)
    if header is None:
        return SheetResult(Graph(), problems, {})
    result = _build(sheet, rows, name)
    result.problems[:0] = problems
    return result


def _read_records(text: str, name: str, sheet: Sheet) -> tuple[list[str] | None, list[tuple[int, dict[str, str]]], list[Problem]]:
    """The header and the rows of a CSV text, numbered as a spreadsheet shows them (header = row 1).

    The reader is strict: a quote left open or text after a closing quote is a located problem,
    not a silently merged cell. After such a problem the rest of the file is not read (where the
    next row starts is unknowable), and ``header`` is None when the header itself is unusable.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    number = 0
    while True:
        number += 1
        line_before = reader.line_num
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            column, message = _csv_error(error, text, line_before, header or [])
            problems.append(Problem(name, f"row {number}", column, reason(N_("%(problem)s; the rows after it were not read"),
                                                                          problem=message)))
            break
        if header is None:
            header = [cell.strip() for cell in record]
            problems.extend(_header_problems(header, name, sheet))
            if problems:
                return None, [], problems
            continue
        if len(record) > len(header):
            problems.append(Problem(name, f"row {number}", "", reason(N_("more cells (%(cells)s) than the %(columns)s header columns"),
                                                                      cells=len(record), columns=len(header))))
            continue
        rows.append((number, {column: cell.strip() for column, cell in zip(header, record)}))
    if header is None and not problems:
        problems.append(Problem(name, "row 1", "", reason(N_("empty file: expected a header row naming the columns"))))
    return header, rows, problems


def _header_problems(header: list[str], name: str, sheet: Sheet) -> list[Problem]:
    problems = []
    for position, column in enumerate(header, start=1):
        if not column:
            problems.append(Problem(name, "row 1", f"column {position}", reason(N_("a column without a name; name it or remove it"))))
        elif header.index(column) != position - 1:
            problems.append(Problem(name, "row 1", column, reason(N_("the column appears twice (columns %(first)s and %(second)s)"),
                                                                  first=header.index(column) + 1, second=position)))
    unknown = [column for column in header if column and column not in sheet.column_names]
    if unknown:
        shown = ", ".join(c if c.isprintable() else repr(c) for c in unknown)
        problems.append(Problem(name, "row 1", shown, reason(N_("unknown column(s); expected %(columns)s"), columns=list(sheet.column_names))))
    missing = [c.name for c in sheet.columns if c.required and c.name not in header]
    missing += [k for k in sheet.key_columns if k not in header and k not in missing]
    if missing:
        problems.append(Problem(name, "row 1", ", ".join(missing), reason(N_("required column(s) missing from the header"))))
    return problems


def _said(error: ValueError) -> str:
    """A cell's problem as its check raised it: a message that translates where it has one."""
    return error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else str(error)


def _too_long(length) -> str:
    return reason(N_("the cell holds %(length)s characters; a cell holds at most %(limit)s"), length=length,
                  limit=f"{MAX_CELL_CHARS:,}")


def _csv_error(error: csv.Error, text: str, line_before: int, header: list[str]) -> tuple[str, str]:
    """(column, message) for a CSV syntax error in the record that starts after ``line_before``."""
    message = str(error)
    if "field larger than field limit" in message:
        return _long_cell_column(text, line_before, header), _too_long(reason(N_("more than %(count)s"),
                                                                              count=f"{csv.field_size_limit():,}"))
    if "unexpected end of data" in message:
        return "", reason(N_("a quoted cell is not closed: its opening quote has no closing quote before the end of the file"))
    if "expected after" in message:
        return "", reason(N_('text after the closing quote of a quoted cell (a quote inside a quoted cell is written "")'))
    return "", reason(N_("not readable as CSV: %(error)s"), error=message)


def _long_cell_column(text: str, line_before: int, header: list[str]) -> str:
    """Which column of a record holds a cell too long for the CSV reader, if it can be told.

    Runs of ordinary characters do not change how a record splits into cells, so the record is
    read again with each long run replaced by a marker; the cell with a marker is the long one.
    """
    lines = io.StringIO(text, newline="").readlines()
    marker = "\ue000"
    shortened = re.sub(r'[^",\r\n]{1000,}', marker, "".join(lines[line_before:]))
    try:
        cells = next(csv.reader(io.StringIO(shortened, newline="")), [])
    except csv.Error:
        return ""
    for position, cell in enumerate(cells):
        if marker in cell and position < len(header):
            return header[position]
    return ""


def build_rows(sheet_name: str, rows: Iterable[dict[str, str]], file_name: str = "<rows>") -> tuple[Graph, list[Problem]]:
    """Build the RDF of rows given as dicts (rows are numbered as in a CSV file with a header)."""
    result = _build(SHEETS[sheet_name], [(i, r) for i, r in enumerate(rows, start=2)], file_name)
    return result.graph, result.problems


def _key_problem(sheet: Sheet, row: dict[str, str]) -> str | None:
    """What is wrong with the row's own id cell (composed ids, and an id that is also a column
    of the sheet like a country's code, are checked through their columns)."""
    if not sheet.key_columns or sheet.key_columns[0] in {c.name for c in sheet.columns}:
        return None
    value = row.get(sheet.key_columns[0], "")
    try:
        sheet.key_check(value)
    except ValueError as error:
        return reason(N_("required, %(problem)s"), problem=_said(error)) if not value else _said(error)
    return None


def _build(sheet: Sheet, rows: list[tuple[int, dict[str, str]]], file_name: str) -> SheetResult:
    graph, partial = Graph(), Graph()
    problems: list[Problem] = []
    origins: dict[URIRef, str] = {}
    seen: dict[str, int] = {}
    for line, row in rows:
        where = f"row {line}"
        if not any(row.values()):
            continue  # blank lines in spreadsheets are harmless
        row_problems: list[Problem] = []
        values: dict[str, list] = {}
        for column in sheet.columns:
            cell = row.get(column.name, "")
            if not cell:
                if column.required:
                    row_problems.append(Problem(file_name, where, column.name,
                                                reason(N_("required, expected %(expected)s"), expected=column.value.expected)))
                continue
            if len(cell) > MAX_CELL_CHARS:
                row_problems.append(Problem(file_name, where, column.name, _too_long(f"{len(cell):,}")))
                continue
            parts = [p.strip() for p in cell.split(column.separator)] if column.multi else [cell]
            terms = []
            for part in parts:
                if not part:
                    continue
                try:
                    terms.append(column.value.parse(part))
                except ValueError as error:
                    row_problems.append(Problem(file_name, where, column.name, _said(error)))
            values[column.name] = terms
        for check in sheet.checks:
            row_problems.extend(Problem(file_name, where, column, message) for column, message in check(row))
        key_problem = _key_problem(sheet, row)
        if key_problem:
            row_problems.append(Problem(file_name, where, sheet.key_columns[0], key_problem))
        key = sheet.key(row)
        if key in seen:
            row_problems.append(Problem(file_name, where, ", ".join(sheet.key_columns) or "row",
                                        reason(N_("duplicate of row %(row)s"), row=seen[key])))
        else:
            seen[key] = line
        # a row with problems gets a node of its own that no other row can share, built only
        # from safe parts (its id may be what is wrong with it)
        node = sheet.node(key) if not row_problems else DATA[f"{sheet.kind}/invalid-row#{quote(file_name, safe='')}-{line}"]
        origins[node] = where
        target = partial if row_problems else graph
        problems.extend(row_problems)
        for cls in sheet.classes:
            target.add((node, RDF.type, cls))
        for column in sheet.columns:
            for term in values.get(column.name, []):
                if column.inverse:
                    target.add((term, column.predicate, node))
                else:
                    target.add((node, column.predicate, term))
        if sheet.derive and not row_problems:
            derived = Graph()
            sheet.derive(node, values, derived)
            for subject in derived.subjects(unique=True):
                origins.setdefault(subject, where)  # e.g. an organisation's shortcut triples: its first row
            graph += derived
    return SheetResult(graph, problems, origins, partial)


# ---------------------------------------------------------------------------------------------
# Replacing: what the earlier version of a sheet's rows was, in the store.

_REPLACE_CHUNK = 1000


def replaced_patterns(sheet: Sheet, graph: Graph) -> list[str]:
    """SPARQL patterns binding ``?s ?p ?o`` to the earlier triples that a replacement by these
    rows (``graph``, built from the sheet) removes: what the sheet describes, nothing else.

    - each row's own node loses the triples of the sheet's columns (and what it derives on the
      node); what other sheets say about it stays (an organisation keeps its affiliations);
    - each holder named in a holder column (the cluster of a need or an affiliation, the
      organisation of a claim, a resource or a development) loses all its earlier rows of this
      sheet, its links to them and the shortcuts they derived: "this cluster's needs are exactly
      these rows". Its other triples, and other holders' rows, stay.

    >>> graph, _ = build_rows("needs", [{"cluster": "x", "competency": "c", "source_url": "https://e.org"}])
    >>> replaced_patterns(SHEETS["needs"], graph)[1]
    'VALUES ?s { <https://w3id.org/clusterkg/id/cluster/x> } ?s <https://w3id.org/clusterkg/ns#qualifiedNeed> ?o BIND(<https://w3id.org/clusterkg/ns#qualifiedNeed> AS ?p)'
    """
    prefix = str(DATA[f"{sheet.kind}/"])
    nodes = sorted({n for n in graph.subjects(RDF.type, sheet.classes[0]) if str(n).startswith(prefix)})
    if not nodes:
        return []
    predicates = {c.predicate for c in sheet.columns if not c.inverse and c.predicate != RDF.type}
    predicates |= set(sheet.node_derived)
    types = set(sheet.classes) | set(sheet.node_types)
    for column in sheet.columns:
        if column.predicate == RDF.type:
            types |= set(getattr(column.value, "options", ()))
    own = (f"FILTER(?p IN ({', '.join(p.n3() for p in sorted(predicates))}) || "
           f"(?p = {RDF.type.n3()} && ?o IN ({', '.join(t.n3() for t in sorted(types))})))")
    # (in this order: deleted one after the other, a pattern must not need what an earlier one removed)
    patterns = []
    kind = sheet.classes[0].n3()
    derived = ", ".join(p.n3() for p in sheet.derived)
    columns = {c.name: c for c in sheet.columns}
    for name in sheet.holders:
        column = columns[name]
        link = column.predicate.n3()
        if column.inverse:
            holders = {h for n in nodes for h in graph.subjects(column.predicate, n)}
        else:
            holders = {h for n in nodes for h in graph.objects(n, column.predicate)}
        for chunk in _in_chunks(sorted(holders)):
            values = " ".join(h.n3() for h in chunk)
            row = f"?h {link} ?s" if column.inverse else f"?s {link} ?h"
            patterns.append(f"VALUES ?h {{ {values} }} {row} . ?s a {kind} . ?s ?p ?o")  # its earlier rows
            # (the predicates bound by the pattern or a FILTER, not by a second VALUES: beside a
            # 1,000-row VALUES, pyoxigraph took 2 s a chunk for that, against 0.01 s)
            if column.inverse:  # its links to them
                patterns.append(f"VALUES ?s {{ {values} }} ?s {link} ?o BIND({link} AS ?p)")
            if derived:  # the shortcuts they derived: from the holder (a need's), or to it (an affiliation's)
                end = "?s" if column.inverse else "?o"
                patterns.append(f"VALUES {end} {{ {values} }} ?s ?p ?o FILTER(?p IN ({derived}))")
    patterns += [f"VALUES ?s {{ {' '.join(n.n3() for n in chunk)} }} ?s ?p ?o {own}" for chunk in _in_chunks(nodes)]
    return patterns


#: The rows one can remove one by one (their kind in the IRI ``.../id/{kind}/{key}``), and the
#: shortcut each states on its holder, which goes with it unless another row still stands behind it.
REMOVABLE = ("affiliation", "claim", "need", "resource", "development")
#: The links a removable row cannot stand without, as (predicate, inverse: the link points at the
#: row): its holders and its required references (an affiliation's cluster and organisation, a
#: claim's organisation and competency). ``clusterkg delete --cascade`` takes such rows with what
#: they stand on.
ROW_ANCHORS = tuple(sorted({(str(column.predicate), column.inverse) for sheet in SHEETS.values()
                            if sheet.kind in REMOVABLE for column in sheet.columns
                            if getattr(column.value, "kind", None) and (column.required or column.name in sheet.holders)}))
#: The class of each removable kind of row (a row of another namespace, such as the open data's
#: or a generated graph's, is known by it): class IRI -> kind.
ROW_CLASSES = {str(sheet.classes[0]): sheet.kind for sheet in SHEETS.values() if sheet.kind in REMOVABLE}


def removal_patterns(iri: str, kind: str | None = None, together: Sequence[str] = ()) -> list[str]:
    """SPARQL patterns binding ``?s ?p ?o`` to what removing one row (by its node's IRI; ``kind``:
    its kind, if not read from the IRI) removes: the shortcuts no other row stands behind (rows
    removed ``together`` with it stand behind none), the links to it, its description (in that
    order).

    >>> len(removal_patterns(str(DATA["need/cluster-x--c"])))
    3
    """
    if kind is None:
        kind = iri.removeprefix(str(DATA)).split("/", 1)[0] if iri.startswith(str(DATA)) else ""
    if kind not in REMOVABLE:
        raise ValueError(reason(N_("not a row that can be removed (expected the IRI of a %(kinds)s): %(iri)s"),
                                kinds=list(REMOVABLE), iri=repr(iri)))
    row = URIRef(iri).n3()
    going = {URIRef(other).n3() for other in together}
    patterns = []
    if kind in ("need", "claim"):
        link, shortcut = (CKG.qualifiedNeed, CKG.needsCompetency) if kind == "need" else \
            (CKG.qualifiedCompetency, CKG.hasCompetency)
        # (each predicate written in: bound by VALUES ?p, pyoxigraph read every triple of it, 6 s
        # a claim in a store of 10M triples)
        patterns.append(f"?s {link.n3()} {row} . {row} {CKG.competency.n3()} ?o . "
                        f"?s {shortcut.n3()} ?o BIND({shortcut.n3()} AS ?p)")
    elif kind == "affiliation":
        memberships = ", ".join(t.n3() for t in sorted(MEMBERSHIP_TYPES))
        own_kind = f"{CKG.projectPartnerOf.n3()}, {CKG.locatedInRegionOf.n3()}"  # (one row each: the key has the kind)
        shortcuts = " UNION ".join(f"{{ ?s {p.n3()} ?o BIND({p.n3()} AS ?p) }}" for p in SHEETS["affiliations"].derived)
        patterns.append(
            f"{row} {CKG.organisation.n3()} ?s ; {CKG.cluster.n3()} ?o ; {CKG.affiliationType.n3()} ?type . {shortcuts} "
            f"FILTER(?p != {ORG.memberOf.n3()} || ?type IN ({memberships})) "
            f"FILTER(?p != {CKG.projectPartnerOf.n3()} || ?type = {CKG.ProjectPartner.n3()}) "
            f"FILTER(?p != {CKG.locatedInRegionOf.n3()} || ?type = {CKG.LocatedInRegion.n3()}) "
            f"FILTER(?p IN ({own_kind}) || NOT EXISTS {{ ?other {CKG.organisation.n3()} ?s ; {CKG.cluster.n3()} ?o ; "
            f"{CKG.affiliationType.n3()} ?t FILTER(?other NOT IN ({', '.join(sorted({row, *going}))})) "
            f"FILTER(?p != {ORG.memberOf.n3()} || ?t IN ({memberships})) }})")
    patterns.append(f"VALUES ?o {{ {row} }} ?s ?p ?o")
    patterns.append(f"VALUES ?s {{ {row} }} ?s ?p ?o")
    return patterns


def _in_chunks(items: list) -> Iterator[list]:
    for start in range(0, len(items), _REPLACE_CHUNK):
        yield items[start:start + _REPLACE_CHUNK]


# ---------------------------------------------------------------------------------------------
# Writing: RDF -> rows, the inverse of the above (used by `clusterkg export --format csv`).


def graph_to_rows(graph: Graph, sheet: Sheet) -> Iterator[dict[str, str]]:
    """Rows of one sheet recovered from a graph, sorted by id, cells in the sheet's format."""
    nodes = sorted(set(graph.subjects(RDF.type, sheet.classes[0])), key=str)
    prefix = str(DATA[f"{sheet.kind}/"])
    predicates = [c.predicate for c in sheet.columns if not c.inverse]
    shared = {p for p in predicates if predicates.count(p) > 1}
    claimed = {p: {getattr(c.value, "language", None) for c in sheet.columns if c.predicate == p} - {None} for p in shared}
    for node in nodes:
        if not str(node).startswith(prefix):
            continue  # only rows of this dataset's namespace round-trip through the sheets
        row: dict[str, str] = {}
        key = str(node)[len(prefix):]
        for key_column in sheet.key_columns:
            row[key_column] = key
        for column in sheet.columns:
            if column.inverse:
                terms = list(graph.subjects(column.predicate, node))
            else:
                terms = list(graph.objects(node, column.predicate))
            options = getattr(column.value, "options", None)
            if options is not None:
                terms = [t for t in terms if t in options]
            if column.predicate in shared:  # "name" and "name_ru" share rdfs:label: each reads its language
                language = getattr(column.value, "language", None)
                if language is None:  # the plain column: every literal no sibling column claims
                    terms = [t for t in terms if not isinstance(t, Literal) or t.language not in claimed[column.predicate]]
                else:
                    terms = [t for t in terms if not isinstance(t, Literal) or t.language == language]
            if column.inverse or getattr(column.value, "kind", None):
                kind_prefix = _reference_prefix(column)
                terms = [t for t in terms if str(t).startswith(kind_prefix)]
            cells = sorted({column.value.format(t) for t in terms})
            if cells:
                separator = f" {column.separator} " if column.separator == URL_SEPARATOR else f"{column.separator} "
                row[column.name] = separator.join(cells) if column.multi else cells[0]
        yield {name: row.get(name, "") for name in sheet.column_names}


def _reference_prefix(column: Column) -> str:
    kind = column.value.expected.removeprefix("a ").removesuffix(" id")
    return str(DATA[f"{kind}/"])


def write_sheets(graph: Graph, directory: str | Path) -> dict[str, int]:
    """Write every sheet recovered from ``graph`` into ``directory``; returns rows per sheet."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for sheet in SHEETS.values():
        rows = list(graph_to_rows(graph, sheet))
        with open(directory / f"{sheet.name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=sheet.column_names, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        counts[sheet.name] = len(rows)
    return counts
