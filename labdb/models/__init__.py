"""labdb's models, one module per domain area, re-exported here."""

from labdb.models.base import CatalogRecord, HistoryEntry, Membership, Project, UserProfile
from labdb.models.cells import Cell
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
    "Attachment",
    "CatalogRecord",
    "Cell",
    "ElectrodeBatch",
    "Formulation",
    "FormulationComponent",
    "HistoryEntry",
    "Instrument",
    "Material",
    "MaterialLot",
    "Membership",
    "ProcessStep",
    "Project",
    "TestProtocol",
    "TestRun",
    "UserProfile",
]
