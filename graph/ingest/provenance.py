"""Where open-data facts come from: each dataset, its licence, and the page of each record.

Every node an ingest writes carries ``dct:source`` (its record page), ``dct:license`` (the
dataset's licence) and ``dct:isPartOf`` (the dataset node described here), so a fact can be
traced to the record it came from and reused on the dataset's terms.

>>> CORDIS_H2020.iri
'https://w3id.org/clusterkg/id/dataset/cordis-h2020'
>>> project_page(rcn="221856")
'https://cordis.europa.eu/project/rcn/221856/factsheet/en'
"""

from __future__ import annotations

from dataclasses import dataclass

from clusterkg.ontology.namespace import DATA

__all__ = [
    "OpenDataset",
    "CORDIS_H2020",
    "US_CMP",
    "DATASETS",
    "project_page",
    "organisation_page",
]


@dataclass(frozen=True)
class OpenDataset:
    """A public dataset the connectors read, described once and pointed at by every fact."""

    key: str
    title: str
    landing_page: str  # the publisher's page of the dataset
    licence: str  # IRI
    publisher: str
    copies: tuple[str, ...]  # the public repository files the bytes were taken from
    note: str = ""

    @property
    def iri(self) -> str:
        return str(DATA[f"dataset/{self.key}"])


#: Reuse of Commission documents (Decision 2011/833/EU): reuse allowed with acknowledgement.
EU_REUSE_DECISION = "http://data.europa.eu/eli/dec/2011/833/oj"

CORDIS_H2020 = OpenDataset(
    key="cordis-h2020",
    title="CORDIS - EU research projects under Horizon 2020 (2014-2020)",
    landing_page="https://data.europa.eu/data/datasets/cordish2020projects",
    licence=EU_REUSE_DECISION,
    publisher="European Commission, Publications Office (CORDIS)",
    copies=(
        "https://github.com/zambujo/eunets/blob/master/data/h2020.csv.gz",
        "https://github.com/zambujo/eunets/blob/master/data/programme_parts.csv.gz",
        "https://github.com/zambujo/eunets/blob/master/data/cordis-programmes.yml",
        "https://github.com/spaghetti-open-data/ODFest2017-horizon2020-network/blob/master/H2020_Data_2017/stacked_dump.csv",
    ),
    note="Participations as updated 2020-12-14; organisation names as of 2017.",
)

US_CMP = OpenDataset(
    key="us-cluster-mapping",
    title="US Cluster Mapping Project: cluster organisations and related cluster categories",
    landing_page="https://www.clustermapping.us/",
    licence="https://spdx.org/licenses/GPL-2.0",
    publisher="Harvard Business School Institute for Strategy and Competitiveness / US Economic Development Administration",
    copies=(
        "https://github.com/clustermapping/cmp/blob/master/cms/modules/hbs_content/csv/CurrentOrganizationsAndClusters.csv",
        "https://github.com/clustermapping/cmp/blob/master/data/web/viz/json/relatedClusters.json",
    ),
)

DATASETS = {dataset.key: dataset for dataset in (CORDIS_H2020, US_CMP)}


def project_page(*, rcn: str | None = None, grant: str | None = None) -> str:
    """The CORDIS page of a project, by grant agreement number (preferred) or record number."""
    if grant:
        return f"https://cordis.europa.eu/project/id/{grant}"
    if rcn:
        return f"https://cordis.europa.eu/project/rcn/{rcn}/factsheet/en"
    raise ValueError("a project page needs a grant number or a record number")


def organisation_page(pic: str) -> str:
    """The EU Funding & Tenders portal page of an organisation, by its PIC."""
    return f"https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/how-to-participate/org-details/{pic}"
