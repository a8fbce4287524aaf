"""labdb's science: readers for instrument files and the analyses computed from them.

This package is plain Python on numpy/pandas/scipy. It never imports Django or ``labdb``, so
every analysis can run from the command line (``python -m analysis``) or a notebook without
a database, and the web app stamps its results with :data:`__version__`.
"""

__version__ = "0.1.0"
