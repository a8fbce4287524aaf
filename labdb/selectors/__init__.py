"""Reads used by views and the API. Everything a user sees goes through :mod:`.access`."""
