"""``python -m harvester``: run the folder harvester (see :mod:`harvester`)."""

import sys

from harvester.cli import main

if __name__ == "__main__":
    sys.exit(main())
