"""labdb folder harvester: uploads instrument files from a lab PC to labdb.

Standard library only, so that this folder can be copied to an instrument PC and run with any
Python 3.9+, without Django or anything else installed. From the folder that holds ``harvester/``::

    python -m harvester --url https://labdb.example.org --token KEY --watch D:/data \\
        --pattern '*.mpr' --test-run-from-filename '^(?P<run>[^_]+)_'

It watches a folder, waits until a file has stopped growing (size and modification time unchanged
for ``--stable-seconds``), computes its sha256 while reading it from disk, and uploads it as
multipart, streamed from disk (memory does not grow with the file) to
``/api/v1/test-runs/<run>/files/``; the server verifies the checksum. A local JSON state file
remembers what was uploaded (path, size, mtime, sha256), so a file is never sent twice, also across
restarts. While the server cannot be reached (or answers 5xx/429) it retries with exponential
backoff. Everything it does is logged (logger ``labdb.harvester``).

The test-run label comes from the file name: the regex's named group ``run`` or its first group.
With ``--create-runs`` a run that does not exist yet is created from the groups ``cell`` and
``protocol`` (and ``channel`` if present) with the label from ``run``.

With ``--follow-seconds N`` (or a config file, :mod:`harvester.config`) it also follows files
the instrument is still writing: at most every N seconds it sends what was appended since the
last upload (append mode), and the server keeps each upload as the next version of the file
(docs/live.md, harvester/README.md; running it as a systemd unit or a Windows service is there
too).

Modules: :mod:`harvester.client` (the API calls, over ``http.client``), :mod:`harvester.config`
(folders and run mapping), :mod:`harvester.follow` (hashes of growing files),
:mod:`harvester.state` (the JSON state file), :mod:`harvester.core` (watching and uploading),
:mod:`harvester.cli` (the command line).
"""

from harvester.cli import main, parse_args
from harvester.client import CHUNK_BYTES, USER_AGENT, Client, Rejected, TransportError
from harvester.config import Watch, load_config
from harvester.core import Harvester, Options, sha256_file
from harvester.state import State

__all__ = [
    "CHUNK_BYTES",
    "USER_AGENT",
    "Client",
    "Harvester",
    "Options",
    "Rejected",
    "State",
    "TransportError",
    "Watch",
    "load_config",
    "main",
    "parse_args",
    "sha256_file",
]
