"""The few API calls the harvester makes, over ``http.client`` (no third-party packages)."""

from __future__ import annotations

import http.client
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

CHUNK_BYTES = 1024 * 1024
USER_AGENT = "labdb-harvester/1"


class TransportError(Exception):
    """The server could not be reached or answered 5xx/429: try again later."""


class Rejected(Exception):
    """The server refused the file (4xx): retrying the same request will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class Client:
    """The few API calls the harvester makes, over http.client (no third-party packages)."""

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SystemExit(f"--url must be http(s)://host[:port][/prefix], not {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout)

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Token {self.token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    @staticmethod
    def _answer(response: http.client.HTTPResponse) -> tuple[int, Any]:
        body = response.read()
        try:
            data = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            data = body[:500].decode("utf-8", "replace")
        status = response.status
        if status >= 500 or status == 429:
            raise TransportError(f"server answered {status}: {data}")
        return status, data

    def create_run(self, fields: dict[str, str]) -> dict[str, Any]:
        body = json.dumps(fields).encode()
        conn = self._connection()
        try:
            conn.request(
                "POST",
                f"{self.prefix}/api/v1/test-runs/",
                body=body,
                headers={**self._headers(), "Content-Type": "application/json"},
            )
            status, data = self._answer(conn.getresponse())
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()
        if status != 201:
            raise Rejected(status, json.dumps(data))
        return data  # type: ignore[no-any-return]

    def upload(
        self,
        run: str,
        path: Path,
        sha256: str,
        fmt: str,
        *,
        start: int = 0,
        end: int | None = None,
        extends: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Upload bytes ``start..end`` of ``path`` as multipart, streamed from disk; returns
        (status, record). ``sha256`` is of bytes ``0..end`` (the whole file as the server will
        hold it). With ``extends`` (the server's id of the file holding bytes ``0..start``)
        only the bytes after ``start`` are sent: append mode (docs/live.md)."""
        boundary = uuid.uuid4().hex
        fields = {"sha256": sha256, "source": "harvester"}
        if fmt:
            fields["format"] = fmt
        if extends is not None:
            fields["extends"] = extends
            fields["offset"] = str(start)
        pre = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        name = path.name.replace('"', "_").replace("\r", "_").replace("\n", "_")
        pre += (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        post = f"\r\n--{boundary}--\r\n".encode()
        if end is None:
            end = path.stat().st_size
        size = end - start
        conn = self._connection()
        try:
            conn.putrequest("POST", f"{self.prefix}/api/v1/test-runs/{quote(run, safe='')}/files/")
            for k, v in self._headers().items():
                conn.putheader(k, v)
            conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            conn.putheader("Content-Length", str(len(pre) + size + len(post)))
            conn.endheaders()
            conn.send(pre)
            sent = 0
            with path.open("rb") as fh:
                fh.seek(start)
                while sent < size:
                    chunk = fh.read(min(CHUNK_BYTES, size - sent))
                    if not chunk:
                        break
                    conn.send(chunk)
                    sent += len(chunk)
            if sent != size:
                raise Rejected(0, f"{path.name} shrank while it was being sent")
            conn.send(post)
            status, data = self._answer(conn.getresponse())
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()
        if status not in (200, 201):
            message = data.get("detail", data) if isinstance(data, dict) else data
            raise Rejected(status, json.dumps(message))
        return status, data
