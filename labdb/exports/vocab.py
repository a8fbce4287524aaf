"""EMMO / BattINFO / CHAMEO class IRIs used as ``additionalType`` (and ``propertyID``) in
exported JSON-LD. Opaque EMMO names are as published in the EMMO domain ontologies
(``https://w3id.org/emmo/domain/{battery,electrochemistry,chemical-substance}``) and CHAMEO;
the comment gives each one's preferred label."""

from __future__ import annotations

EMMO = "https://w3id.org/emmo#"
BATTERY = "https://w3id.org/emmo/domain/battery#"
ECHEM = "https://w3id.org/emmo/domain/electrochemistry#"
SUBSTANCE = "https://w3id.org/emmo/domain/chemical-substance#"
CHAMEO = "https://w3id.org/emmo/domain/characterisation-methodology/chameo#"

BATTERY_CELL = BATTERY + "battery_68ed592a_7924_45d0_a108_94d6275d57f0"  # BatteryCell
BATTERY_HALF_CELL = BATTERY + "battery_8f0ae0b6_ee4b_47a0_b90b_1b072a62a7d9"  # BatteryHalfCell
BATTERY_TEST = BATTERY + "battery_dca7729a_421a_4921_90cf_9692bb9eb081"  # BatteryTest
BATTERY_CYCLER = BATTERY + "battery_23e6170d_a70b_4de9_a4db_458e24a327ac"  # BatteryCycler
POTENTIOSTAT = ECHEM + "electrochemistry_a9fc3f77_e48e_4bce_b118_044d608722f6"  # Potentiostat
ELECTRODE = ECHEM + "electrochemistry_0f007072_a8dd_4798_b865_1bf9363be627"  # Electrode
BINDER = ECHEM + "electrochemistry_68eb5e35_5bd8_47b1_9b7f_f67224fa291e"  # Binder
SOLID_ELECTROLYTE = ECHEM + "electrochemistry_0508a114_544a_4f54_a7de_9b947fb4b618"
CURRENT_COLLECTOR = ECHEM + "electrochemistry_212af058_3bbb_419f_a9c6_90ba9ebb3706"
ACTIVE_MATERIAL = ECHEM + "electrochemistry_79d1b273_58cd_4be6_a250_434817f7c261"
CONDUCTIVE_ADDITIVE = ECHEM + "electrochemistry_82fef384_8eec_4765_b707_5397054df594"
ELECTRODE_COATING = ECHEM + "electrochemistry_403c300e_09b9_400b_943b_04e82a3cfb56"
LITHIUM_ELECTRODE = ECHEM + "electrochemistry_55775b50_b9d9_4d68_8cb5_38fcd7b9b54d"
SOLVENT = SUBSTANCE + "substance_0f2f65a7_5cc4_4c86_a4d0_676771c646f1"  # Solvent
D10 = ECHEM + "electrochemistry_b83c6435_6edf_470e_9725_538a853e08f7"  # D10ParticleSize
D50 = ECHEM + "electrochemistry_3cfdfc10_a5cb_4e3e_b1a1_281010d1465c"  # D50ParticleSize
D90 = ECHEM + "electrochemistry_8e943e12_ecc0_4093_899e_7226be6be7f2"  # D90ParticleSize
MASS_FRACTION = EMMO + "EMMO_7c055d65_2929_40e1_af4f_4bf10995ad50"  # MassFraction
THICKNESS = EMMO + "EMMO_43003c86_9d15_433b_9789_ee2940920656"  # Thickness
AREA = EMMO + "EMMO_96f39f77_44dc_491b_8fa7_30d887fe0890"  # Area
MASS_LOADING = ECHEM + "electrochemistry_c955c089_6ee1_41a2_95fc_d534c5cfd3d5"  # MassLoading
COULOMBIC_EFFICIENCY = ECHEM + "electrochemistry_5696453c_9da7_41e2_bbda_603c1b90a8fc"
INITIAL_COULOMBIC_EFFICIENCY = ECHEM + "electrochemistry_469b9516_a96d_4aa2_b8e5_05ae982e2084"
CYCLE_LIFE = ECHEM + "electrochemistry_ae782b14_88ce_4cdd_9418_12aca00be937"  # CycleLife
CYCLING_TEST = ECHEM + "electrochemistry_435b22d4_c441_45ea_8c79_0cbec11fd287"  # CyclingTest
EIS = CHAMEO + "ElectrochemicalImpedanceSpectroscopy"
CYCLIC_VOLTAMMETRY = CHAMEO + "CyclicVoltammetry"

#: Material category -> class of the lot's material.
MATERIAL_CLASS = {
    "binder": BINDER,
    "solid_electrolyte": SOLID_ELECTROLYTE,
    "current_collector": CURRENT_COLLECTOR,
    "cathode_active": ACTIVE_MATERIAL,
    "conductive_additive": CONDUCTIVE_ADDITIVE,
    "cathode_coating": ELECTRODE_COATING,
    "lithium_metal": LITHIUM_ELECTRODE,
    "solvent": SOLVENT,
}
#: Test protocol kind -> class of the test.
TEST_CLASS = {
    "plating_stripping": CYCLING_TEST,
    "galvanostatic": CYCLING_TEST,
    "formation": CYCLING_TEST,
    "rate": CYCLING_TEST,
    "eis": EIS,
    "insitu_eis": EIS,
    "cv": CYCLIC_VOLTAMMETRY,
}
#: Instrument kind -> class.
INSTRUMENT_CLASS = {"cycler": BATTERY_CYCLER, "potentiostat": POTENTIOSTAT}
