"""labdb's models, one module per domain area, re-exported here."""

from labdb.models.alerts import (
    Alert,
    AlertDelivery,
    AlertDismissal,
    AlertRule,
    ProjectAlertSettings,
)
from labdb.models.base import CatalogRecord, HistoryEntry, Membership, Project, UserProfile
from labdb.models.cells import Cell
from labdb.models.comparisons import SavedComparison
from labdb.models.data import (
    RUN_METRICS,
    AnalysisJob,
    AnalysisResult,
    CycleResult,
    DataFile,
    EISSpectrumFit,
    ParsedTable,
    ResultTable,
    RunMetric,
)
from labdb.models.electrodes import REQUIRED_STEP_FIELDS, ElectrodeBatch, ProcessStep
from labdb.models.exports import ExportJob
from labdb.models.formulations import (
    MASS_FRACTION_TOLERANCE_PCT,
    Formulation,
    FormulationComponent,
)
from labdb.models.immutable import ImmutableRecordError
from labdb.models.integrity import StorageCheck
from labdb.models.materials import LOT_PROPERTIES, Attachment, Material, MaterialLot
from labdb.models.reviews import (
    DataFileRemoval,
    Dismissal,
    FlagAcceptance,
    FormatChoice,
)
from labdb.models.summaries import CellSummary, CellSummaryStale
from labdb.models.testing import Instrument, TestProtocol, TestRun
from labdb.models.tokens import ApiToken, AuthFailureWindow

#: The labelled catalog record types (CatalogRecord subclasses), upstream first: the order in
#: which search, exports and counts report them.
CATALOG_MODELS: tuple[type[CatalogRecord], ...] = (
    Material,
    MaterialLot,
    Formulation,
    ElectrodeBatch,
    Cell,
    Instrument,
    TestProtocol,
    TestRun,
)

__all__ = [
    "CATALOG_MODELS",
    "LOT_PROPERTIES",
    "MASS_FRACTION_TOLERANCE_PCT",
    "REQUIRED_STEP_FIELDS",
    "RUN_METRICS",
    "Alert",
    "AlertDelivery",
    "AlertDismissal",
    "AlertRule",
    "AnalysisJob",
    "AnalysisResult",
    "ApiToken",
    "Attachment",
    "AuthFailureWindow",
    "CatalogRecord",
    "Cell",
    "CellSummary",
    "CellSummaryStale",
    "CycleResult",
    "DataFile",
    "DataFileRemoval",
    "Dismissal",
    "EISSpectrumFit",
    "ElectrodeBatch",
    "ExportJob",
    "FlagAcceptance",
    "FormatChoice",
    "Formulation",
    "FormulationComponent",
    "HistoryEntry",
    "ImmutableRecordError",
    "Instrument",
    "Material",
    "MaterialLot",
    "Membership",
    "ParsedTable",
    "ProcessStep",
    "Project",
    "ProjectAlertSettings",
    "ResultTable",
    "RunMetric",
    "SavedComparison",
    "StorageCheck",
    "TestProtocol",
    "TestRun",
    "UserProfile",
]
