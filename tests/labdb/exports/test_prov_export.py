"""The PROV export: a metric's document reaches the seed lots with their D50, round-trips through
the ``prov`` library, and the command line prints it."""

from __future__ import annotations

import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from prov.model import ProvDocument

import analysis
from labdb import models as m
from labdb.exports.prov import provenance_document, record_id, serialize

STATEMENT = re.compile(
    r"^\s+(prefix|entity|activity|agent|used|wasGeneratedBy|wasDerivedFrom|wasRevisionOf|"
    r"wasAssociatedWith|wasAttributedTo|wasInformedBy)[ (]"
)


def _element(doc: ProvDocument, ident: str) -> Any:
    records = doc.get_record(ident)
    assert records, f"{ident} is not in the document"
    return records[0]


def _attr(record: Any, name: str) -> Any:
    values = list(record.get_attribute(name))
    assert len(values) == 1, f"{record.identifier} has {values} for {name}"
    return values[0]


def _formal(record: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in record.formal_attributes if v is not None}


def _relations(doc: ProvDocument) -> set[tuple[str, tuple[str, ...]]]:
    return {
        (r.get_type().localpart, tuple(str(v) for _, v in r.formal_attributes if v is not None))
        for r in doc.get_records()
        if r.is_relation()
    }


def test_result_document_round_trips_and_reaches_the_seed_lots(ingested: m.AnalysisJob) -> None:
    job = ingested
    result = job.result
    doc = provenance_document(result)

    text = serialize(doc, "prov-json")
    again = ProvDocument.deserialize(content=text, format="json")
    assert again == doc
    ids = {str(r.identifier) for r in doc.get_records() if r.is_element()}
    assert ids == {str(r.identifier) for r in again.get_records() if r.is_element()}
    assert _relations(again) == _relations(doc)

    # the metric's lineage reaches the Mg seed lot with its D50 and purity
    mg = m.MaterialLot.objects.get(label="Mg-800nm-L1")
    lot = _element(again, record_id(mg))
    assert _attr(lot, "labdb:d50_nm") == 800.0
    assert _attr(lot, "labdb:purity_pct") == 99.9
    formulation = m.Formulation.objects.get(label="MgAgSn-Elastane v1")
    derived = [
        r
        for r in again.get_records()
        if r.get_type().localpart == "Derivation"
        and _formal(r)["prov:generatedEntity"] == record_id(formulation)
        and _formal(r)["prov:usedEntity"] == record_id(mg)
    ]
    assert len(derived) == 1 and _attr(derived[0], "labdb:mass_fraction_pct") == 30.0

    # the analysis activity carries its code version, commit, parameters and their hash
    activity = _element(again, record_id(job))
    assert _attr(activity, "labdb:analysis_version") == analysis.__version__
    assert _attr(activity, "labdb:parameters_sha256") == job.parameters_sha256
    assert json.loads(_attr(activity, "labdb:parameters")) == job.parameters
    assert _attr(activity, "labdb:worker_host") == job.claimed_by != ""
    if job.code_commit:
        assert _attr(activity, "labdb:code_commit") == job.code_commit
    raw = job.data_file
    assert _attr(_element(again, record_id(raw)), "labdb:sha256") == raw.sha256
    res = _element(again, record_id(result))
    assert _attr(res, "labdb:initial_coulombic_efficiency") == pytest.approx(0.98, rel=2e-3)

    relations = _relations(again)
    assert ("Usage", (record_id(job), record_id(raw))) in relations
    assert ("Generation", (record_id(result), record_id(job))) in {
        (kind, args[:2]) for kind, args in relations
    }
    kinds = {kind for kind, _ in relations}
    assert {"Usage", "Generation", "Derivation", "Association", "Revision"} - kinds == {
        "Revision"  # the demo formulations have a single version
    }
    steps = [i for i in ids if "/step/" in i]
    assert len(steps) == 3  # mixing, casting, drying of the anode batch


def test_prov_n_lists_the_expected_statements(ingested: m.AnalysisJob) -> None:
    job = ingested
    cell = job.data_file.test_run.cell
    text = serialize(provenance_document(cell), "prov-n")
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0] == "document" and lines[-1] == "endDocument"
    for line in lines[1:-1]:
        assert STATEMENT.match(line), line
        assert line.count("(") == line.count(")") or "prefix" in line, line
    mg = m.MaterialLot.objects.get(label="Mg-800nm-L1")
    assert f'entity({record_id(mg)}, [prov:label="Mg-800nm-L1"' in text
    assert 'labdb:d50_nm="800.0" %% xsd:double' in text
    assert f"used({record_id(job)}, {record_id(job.data_file)}" in text
    assert f"wasGeneratedBy({record_id(cell)}, {record_id(cell)}/build" in text
    assert f"wasAssociatedWith({record_id(job)}, labdb:software/labdb-analysis/" in text


def test_lot_document_covers_everything_that_depends_on_it(ingested: m.AnalysisJob) -> None:
    mg = m.MaterialLot.objects.get(label="Mg-800nm-L1")
    ids = {str(r.identifier) for r in provenance_document(mg).get_records() if r.is_element()}
    assert record_id(ingested.result) in ids and record_id(ingested) in ids
    dependent_cells = m.Cell.objects.filter(anode_batch__formulation__components__lot=mg)
    assert {record_id(c) for c in dependent_cells} <= ids
    sn_only = m.Cell.objects.get(label="Sn-E-HC1")
    assert record_id(sn_only) not in ids


def test_provenance_command_finds_records_by_label_or_uuid(ingested: m.AnalysisJob) -> None:
    out = StringIO()
    call_command("provenance", "MgAgSn-E-HC1-PS", "--format", "prov-json", stdout=out)
    doc = ProvDocument.deserialize(content=out.getvalue(), format="json")
    assert doc.get_record(record_id(ingested.result))
    out = StringIO()
    call_command("provenance", str(ingested.pk), "--format", "text", stdout=out)
    text = out.getvalue()
    assert "Mg-800nm-L1" in text and "labdb:d50_nm = 800.0" in text
    out = StringIO()
    call_command("provenance", ingested.data_file.sha256, "--format", "prov-n", stdout=out)
    assert out.getvalue().startswith("document")

    with pytest.raises(CommandError, match="no record has the label"):
        call_command("provenance", "no-such-thing")
    m.Instrument.objects.create(
        project=ingested.project, label="MgAgSn-E-HC1", kind="cycler", vendor="X"
    )
    with pytest.raises(CommandError, match=r"ambiguous.*cell.*instrument"):
        call_command("provenance", "MgAgSn-E-HC1")
