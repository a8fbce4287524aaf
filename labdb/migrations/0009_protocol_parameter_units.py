"""Protocol parameter keys name their canonical unit (``current_density`` ->
``current_density_mA_cm2``, ...): rename the keys inside every ``TestProtocol.parameters``.

Values are unchanged (they were already stored in the canonical unit). The history keeps the
old keys in the changes it recorded; it is append-only and is left as written.
"""

from django.db import migrations

#: Old key -> new key, frozen here (labdb.protocols may change after this migration).
RENAMES = {
    "current_density": "current_density_mA_cm2",
    "areal_capacity": "areal_capacity_mAh_cm2",
    "one_c_current_density": "one_c_current_density_mA_cm2",
    "upper_cutoff_voltage": "upper_cutoff_voltage_V",
    "lower_cutoff_voltage": "lower_cutoff_voltage_V",
    "temperature": "temperature_degC",
    "eis_frequency_max": "eis_frequency_max_Hz",
    "eis_frequency_min": "eis_frequency_min_Hz",
    "eis_amplitude": "eis_amplitude_V",
    "eis_interval": "eis_interval_h",
    "scan_rate": "scan_rate_mV_s",
    "peel_speed": "peel_speed_mm_min",
    "sample_width": "sample_width_mm",
    "scratch_max_load": "scratch_max_load_mN",
    "scratch_length": "scratch_length_mm",
    "indentation_max_load": "indentation_max_load_mN",
}


def rename_keys(parameters, renames):  # type: ignore[no-untyped-def]
    """``parameters`` with its keys renamed by ``renames``, in the same order (a key already
    under its new name wins over the old one)."""
    if not isinstance(parameters, dict):
        return parameters
    out = {}
    for key, value in parameters.items():
        new = renames.get(key, key)
        if new != key and new in parameters:
            continue
        out[new] = value
    return out


def _rename(renames):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor):  # type: ignore[no-untyped-def]
        TestProtocol = apps.get_model("labdb", "TestProtocol")
        db = schema_editor.connection.alias
        for pk, parameters in TestProtocol.objects.using(db).values_list("pk", "parameters"):
            renamed = rename_keys(parameters, renames)
            if renamed != parameters:
                # update(), not save(): leaves updated_at alone (no one edited the protocol)
                TestProtocol.objects.using(db).filter(pk=pk).update(parameters=renamed)

    return apply


class Migration(migrations.Migration):
    dependencies = [("labdb", "0008_auth_failure_window")]

    operations = [
        migrations.RunPython(_rename(RENAMES), _rename({new: old for old, new in RENAMES.items()}))
    ]
