"""The project's closed namespace ``CKG`` and the namespaces its data reuses.

``CKG`` lists every term declared in ``clusterkg.ttl`` (a test keeps the two in step), and
``_fail = True`` makes a mistyped term an error instead of a silently new IRI:

>>> from clusterkg.ontology.namespace import CKG, DATA
>>> CKG.Cluster
rdflib.term.URIRef('https://w3id.org/clusterkg/ns#Cluster')
>>> CKG.Typo
Traceback (most recent call last):
    ...
AttributeError: term 'Typo' not in namespace 'https://w3id.org/clusterkg/ns#'
>>> DATA["cluster/silicon-saxony"]
rdflib.term.URIRef('https://w3id.org/clusterkg/id/cluster/silicon-saxony')

The reused namespaces are rdflib's own definitions, re-exported under the prefixes the project
uses (``SCHEMA`` is rdflib's ``SDO``, ``DCT`` is ``DCTERMS``).
"""

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, ORG, OWL, PROV, RDF, RDFS, SDO, SKOS, VOID, XSD, DefinedNamespace

__all__ = [
    "CKG",
    "DATA",
    "SYNTHETIC",
    "ORG",
    "SCHEMA",
    "DCT",
    "PROV",
    "SKOS",
    "DCAT",
    "RDF",
    "RDFS",
    "OWL",
    "XSD",
    "VOID",
    "NACE",
    "NUTS",
    "PREFIXES",
    "sparql_prefixes",
]

#: Base of real data IRIs: ``DATA["{kind}/{id}"]``.
DATA = Namespace("https://w3id.org/clusterkg/id/")
#: Base of generated (synthetic) data IRIs, kept apart so they can never pass for real data.
SYNTHETIC = Namespace("https://w3id.org/clusterkg/synthetic/")

SCHEMA = SDO
DCT = DCTERMS
#: NACE Rev. 2 codes (EU Publications Office) and NUTS region codes (Eurostat).
NACE = Namespace("http://data.europa.eu/ux2/nace2/")
NUTS = Namespace("http://data.europa.eu/nuts/code/")


class CKG(DefinedNamespace):
    """Terms of the clusterkg ontology (``https://w3id.org/clusterkg/ns#``)."""

    _fail = True
    _NS = Namespace("https://w3id.org/clusterkg/ns#")

    # Classes
    Cluster: URIRef  # cluster
    SME: URIRef  # small or medium-sized enterprise
    LargeEnterprise: URIRef  # large enterprise
    University: URIRef  # university
    ResearchInstitute: URIRef  # research institute
    Technopark: URIRef  # technopark
    PublicBody: URIRef  # public body
    Association: URIRef  # association
    Investor: URIRef  # investor
    ClusterManagementOrganisation: URIRef  # cluster management organisation
    Hospital: URIRef  # hospital
    OtherOrganisation: URIRef  # other organisation
    Affiliation: URIRef  # affiliation of an organisation with a cluster
    Competency: URIRef  # competency
    Industry: URIRef  # industry
    CompetencyClaim: URIRef  # competency claim (qualified hasCompetency)
    CompetencyNeed: URIRef  # competency need (qualified needsCompetency)
    Partnership: URIRef  # cross-cluster partnership
    CrossClusterProject: URIRef  # partnership level: cross-cluster project
    SuperRegionalCluster: URIRef  # partnership level: super-regional cluster
    MetaCluster: URIRef  # partnership level: meta-cluster
    CooperationAgreement: URIRef  # partnership level: cooperation agreement
    SharedResource: URIRef  # shareable resource
    Development: URIRef  # a member's new product or technology
    Country: URIRef  # country
    Region: URIRef  # region
    ClusterPolicy: URIRef  # cluster policy of a country

    # Object properties
    country: URIRef  # country
    region: URIRef  # region
    industry: URIRef  # industry
    stage: URIRef  # stage of a cluster
    clusterOrganisation: URIRef  # organisation that manages a cluster
    organisation: URIRef  # organisation of an affiliation
    cluster: URIRef  # cluster of an affiliation
    affiliationType: URIRef  # affiliation type
    affiliatedWith: URIRef  # shortcut: organisation -> cluster (any affiliation)
    projectPartnerOf: URIRef  # shortcut: organisation -> cluster (project partner)
    locatedInRegionOf: URIRef  # shortcut: organisation -> cluster (located in region)
    appliedIn: URIRef  # competency -> industry
    hasCompetency: URIRef  # shortcut: organisation -> competency
    qualifiedCompetency: URIRef  # organisation -> competency claim
    competency: URIRef  # claim or need -> competency
    level: URIRef  # level of a competency claim
    needsCompetency: URIRef  # shortcut: cluster or organisation -> competency
    qualifiedNeed: URIRef  # cluster or organisation -> competency need
    participant: URIRef  # partnership -> cluster
    offeredBy: URIRef  # shareable resource -> organisation
    resourceKind: URIRef  # kind of shareable resource
    relatedCompetency: URIRef  # resource or development -> competency
    developedBy: URIRef  # development -> organisation
    policyModel: URIRef  # cluster policy model
    supportInstrument: URIRef  # cluster policy support instrument

    # Datatype properties
    memberCount: URIRef  # member count
    memberCountYear: URIRef  # year of the member count
    sourceQuote: URIRef  # quote from the source
    roleLabel: URIRef  # role in a cluster, as free text
    instrumentCount: URIRef  # number of support instruments
    synthetic: URIRef  # true on generated datasets

    # --- change history (graph/history.py): one prov:Activity per write -----------------------
    operation: URIRef  # what the activity did: import, replace, delete, update, clear, load
    triplesAdded: URIRef  # number of triples the activity added
    triplesRemoved: URIRef  # number of triples the activity removed
    dataVersion: URIRef  # the data version the activity produced
    previousDataVersion: URIRef  # the data version before the activity
    changedResource: URIRef  # a resource whose description the activity changed
    sha256: URIRef  # SHA-256 of a file an activity used
    # --- end of change history terms ------------------------------------------------------------

    # Concept schemes
    AffiliationTypeScheme: URIRef  # affiliation types
    CompetencyLevelScheme: URIRef  # competency levels
    ClusterStageScheme: URIRef  # cluster life-cycle stages
    PolicyModelScheme: URIRef  # cluster policy models
    SupportInstrumentScheme: URIRef  # cluster support instruments
    ResourceKindScheme: URIRef  # kinds of shareable resource

    # Concepts: affiliation types
    Member: URIRef  # member
    FoundingMember: URIRef  # founding member
    BoardMember: URIRef  # board member
    Resident: URIRef  # resident of a technopark or hub
    ProjectPartner: URIRef  # project partner
    LocatedInRegion: URIRef  # located in the cluster's region

    # Concepts: competency levels
    LevelBasic: URIRef  # basic
    LevelAdvanced: URIRef  # advanced
    LevelLeading: URIRef  # leading

    # Concepts: cluster stages
    StageEmerging: URIRef  # emerging
    StageGrowing: URIRef  # growing
    StageMature: URIRef  # mature

    # Concepts: cluster policy models
    DirigisteModel: URIRef  # dirigiste model
    LiberalModel: URIRef  # liberal model
    MixedModel: URIRef  # mixed model

    # Concepts: support instruments
    DirectFinancialSupport: URIRef  # direct financial support
    TaxIncentives: URIRef  # tax incentives
    InnovationFunds: URIRef  # innovation implementation funds
    RiskReductionProgrammes: URIRef  # risk-reduction and loss-compensation programmes
    DevelopmentInstitutions: URIRef  # development institutions and network builders
    CoordinatingAuthorities: URIRef  # coordinating authorities
    IPProtection: URIRef  # intellectual-property protection
    TargetedResearchFunding: URIRef  # targeted research funding

    # Concepts: kinds of shareable resource
    Equipment: URIRef  # equipment
    Laboratory: URIRef  # laboratory
    TestBed: URIRef  # test bed
    PilotLine: URIRef  # pilot line
    Facility: URIRef  # facility
    Service: URIRef  # service

    # >>> Open data (projects, participations, industry relatedness, identity matches) >>>
    Project: URIRef  # funded project
    Participation: URIRef  # an organisation's participation in a project
    ProgrammePart: URIRef  # part of a funding programme
    IndustryRelatedness: URIRef  # relatedness of two industries
    IdentityMatch: URIRef  # curated organisation = open-data record
    programmePart: URIRef  # project -> programme part
    project: URIRef  # participation -> project
    participationRole: URIRef  # participation -> role concept
    activityType: URIRef  # organisation -> CORDIS activity type
    matchedRecord: URIRef  # identity match -> open-data record
    matchStatus: URIRef  # identity match -> confirmed / automatic
    euContribution: URIRef  # EU contribution in euros
    totalCost: URIRef  # total cost of a project in euros
    participantCount: URIRef  # participants of a project per its source
    pic: URIRef  # EU Participant Identification Code
    relatednessScore: URIRef  # relatedness measure of two industries
    relatednessPercentile: URIRef  # its percentile among all pairs
    matchScore: URIRef  # score of an identity match
    ParticipationRoleScheme: URIRef  # roles in a project
    RoleCoordinator: URIRef  # coordinator
    RoleParticipant: URIRef  # participant
    RolePartner: URIRef  # partner
    RoleThirdParty: URIRef  # third party
    RoleInternationalPartner: URIRef  # international partner
    ActivityTypeScheme: URIRef  # CORDIS activity types
    ActivityHigherEducation: URIRef  # HES
    ActivityResearch: URIRef  # REC
    ActivityPrivateForProfit: URIRef  # PRC
    ActivityPublicBody: URIRef  # PUB
    ActivityOther: URIRef  # OTH
    MatchStatusScheme: URIRef  # identity match statuses
    MatchConfirmed: URIRef  # confirmed by a curator
    MatchAutomatic: URIRef  # accepted on its score
    # <<< Open data <<<

    # >>> Events (blitz sessions, round tables, project working groups) >>>
    Event: URIRef  # cooperation event (schema:Event)
    BlitzSession: URIRef  # blitz session
    RoundTable: URIRef  # technology round table
    EventAttendance: URIRef  # a participant's attendance, role and profile
    MeetingRequest: URIRef  # request for a 1:1 meeting
    EventOutcome: URIRef  # challenge or opportunity found at an event
    ProjectWorkingGroup: URIRef  # long-term thematic group
    attendee: URIRef  # attendance -> cluster or organisation
    event: URIRef  # attendance, request or outcome -> event
    eventRole: URIRef  # attendance -> role concept
    offersCompetency: URIRef  # attendance -> competency offered
    seeksCompetency: URIRef  # attendance -> competency looked for
    requestedBy: URIRef  # meeting request -> who asks
    requestedWith: URIRef  # meeting request -> whom
    outcomeKind: URIRef  # outcome -> challenge / opportunity
    ledTo: URIRef  # outcome or working group -> partnership
    offersText: URIRef  # profile: offers, as text
    seeksText: URIRef  # profile: looks for, as text
    availableSlot: URIRef  # meeting slot an attendee is free
    slotMinutes: URIRef  # minutes per meeting slot
    slotCount: URIRef  # number of meeting slots
    tableCount: URIRef  # tables (blitz) or seats (round table)
    presentationMinutes: URIRef  # minutes per presentation
    paidMembership: URIRef  # working group membership is paid
    startTime: URIRef  # local start time of an event (HH:MM)
    EventRoleScheme: URIRef  # roles at an event
    EventPresenter: URIRef  # presenter
    EventParticipant: URIRef  # participant
    EventStakeholder: URIRef  # stakeholder
    EventModerator: URIRef  # moderator
    OutcomeKindScheme: URIRef  # kinds of outcome
    Challenge: URIRef  # challenge
    Opportunity: URIRef  # opportunity
    # <<< Events <<<
    # >>> How a competency claim is known (claim basis) >>>
    claimBasis: URIRef  # competency claim -> how it is known
    ClaimBasisScheme: URIRef  # the ways a claim is known
    BasisStated: URIRef  # its source states it
    BasisClusterSpecialisation: URIRef  # inferred from a cluster's specialisation
    BasisProgrammeSpecialisation: URIRef  # inferred from a programme's specialisation
    BasisProjectParticipation: URIRef  # inferred from project participation
    # <<< Claim basis <<<


#: prefix -> namespace IRI as a plain string, for code that needs strings (pyoxigraph terms,
#: SPARQL ``PREFIX`` lines, JSON-LD contexts, CURIEs); derived from the namespaces above.
PREFIXES = {
    "ckg": str(CKG),
    "id": str(DATA),
    "org": str(ORG),
    "skos": str(SKOS),
    "rdfs": str(RDFS),
    "rdf": str(RDF),
    "schema": str(SCHEMA),
    "dct": str(DCT),
    "prov": str(PROV),
    "dcat": str(DCAT),
    "owl": str(OWL),
    "xsd": str(XSD),
}


def sparql_prefixes(*names: str) -> str:
    """SPARQL ``PREFIX`` lines for ``names`` (all of :data:`PREFIXES` when none are given).

    >>> print(sparql_prefixes("ckg", "org"), end="")
    PREFIX ckg: <https://w3id.org/clusterkg/ns#>
    PREFIX org: <http://www.w3.org/ns/org#>
    """
    return "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in names or PREFIXES)
