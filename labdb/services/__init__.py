"""Writes: one module per area, each function atomic with keyword-only arguments."""
