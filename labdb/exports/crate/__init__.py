"""RO-Crate exports as ``.eln`` archives (the ELN Consortium's exchange format), built with the
``rocrate`` library.

:func:`write_crate` writes a zip whose single top folder holds ``ro-crate-metadata.json`` and:

Data entities (``File``, each with ``sha256``, ``contentSize`` in bytes and ``encodingFormat``)
    every raw instrument file of the covered test runs, copied from the blob store
    (``<run>/<original name>``); every parsed table (``<run>/parsed/<table id>.parquet``); one
    JSON file per analysis result (``<run>/results/<kind>-<job id>.json``, the stored summary
    with the job's identity and hashes); and the attachments of the covered lots and batches
    (certificates of analysis, XRD, SEM, ...).
Contextual entities
    lots (``Product`` with D10/D50/D90 and purity as ``PropertyValue``), formulations (with one
    ``PropertyValue`` per component: lot, role and mass fraction), electrode batches (with their
    process steps), cells, instruments, test protocols, test runs, people, and one
    ``SoftwareApplication`` "labdb-analysis" per analysis version and commit.
Actions (Process Run Crate profile, https://w3id.org/ro/wfrun/process/0.5)
    one ``CreateAction`` per analysis run: ``instrument`` = the labdb-analysis application,
    ``object`` = the raw file, the parsed table and the parameters (``PropertyValue``, plus the
    parameters' sha256), ``result`` = the result JSON file, with start and end times, worker host
    and ``actionStatus``.

EMMO / BattINFO terms (see :mod:`labdb.exports.vocab`) appear as ``additionalType``: BatteryCell
and BatteryHalfCell (cells), Electrode (batches), Binder, SolidElectrolyte, CurrentCollector,
ActiveMaterial, ConductiveAdditive, ElectrodeCoating, LithiumElectrode and Solvent (lots by
material category), BatteryCycler and Potentiostat (instruments), CyclingTest,
ElectrochemicalImpedanceSpectroscopy and CyclicVoltammetry (test runs by protocol kind); and as
``propertyID``: D10/D50/D90ParticleSize, MassFraction, Thickness, Area, MassLoading,
InitialCoulombicEfficiency, CoulombicEfficiency and CycleLife.

Identifiers of catalog records are the same stable URIs as in the PROV export
(:func:`labdb.exports.prov.record_id` under the labdb namespace).
"""

from labdb.exports.crate.eln import CrateDownload, build_crate, write_crate
from labdb.exports.crate.terms import PROCESS_RUN_CRATE, SHA256_TERM, safe_name, uri

__all__ = [
    "PROCESS_RUN_CRATE",
    "SHA256_TERM",
    "CrateDownload",
    "build_crate",
    "safe_name",
    "uri",
    "write_crate",
]
