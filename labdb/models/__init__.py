"""labdb's models, one module per domain area, re-exported here."""

from labdb.models.base import CatalogRecord, HistoryEntry, Membership, Project, UserProfile
from labdb.models.cells import Cell
from labdb.models.data import AnalysisJob, AnalysisResult, CycleResult, DataFile, ParsedTable
from labdb.models.electrodes import REQUIRED_STEP_FIELDS, ElectrodeBatch, ProcessStep
from labdb.models.formulations import (
    MASS_FRACTION_TOLERANCE_PCT,
    Formulation,
    FormulationComponent,
)
from labdb.models.materials import LOT_PROPERTIES, Attachment, Material, MaterialLot
from labdb.models.testing import Instrument, TestProtocol, TestRun

__all__ = [
    "LOT_PROPERTIES",
    "MASS_FRACTION_TOLERANCE_PCT",
    "REQUIRED_STEP_FIELDS",
    "AnalysisJob",
    "AnalysisResult",
    "Attachment",
    "CatalogRecord",
    "Cell",
    "CycleResult",
    "DataFile",
    "ElectrodeBatch",
    "Formulation",
    "FormulationComponent",
    "HistoryEntry",
    "Instrument",
    "Material",
    "MaterialLot",
    "Membership",
    "ParsedTable",
    "ProcessStep",
    "Project",
    "TestProtocol",
    "TestRun",
    "UserProfile",
]
