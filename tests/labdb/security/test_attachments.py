"""Served user content never runs: an attachment is a download (Content-Disposition:
attachment) with a Content-Type sniffed on the server from an allow-list (never the client's
claim, never HTML or SVG), ``X-Content-Type-Options: nosniff`` and a sandboxing CSP."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labdb import models as m
from labdb.services.attachments import sniff_content_type

pytestmark = pytest.mark.django_db

HTML = b"<!doctype html><script>fetch('/tokens/').then(r => r.text())</script>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def attach(client: Client, name: str, content: bytes, claimed: str) -> m.Attachment:
    lot = m.MaterialLot.objects.get(label="Ag-30nm-L1")
    response = client.post(
        f"/lots/{lot.pk}/attachments/",
        {"kind": "other", "file": SimpleUploadedFile(name, content, content_type=claimed)},
    )
    assert response.status_code == 302
    return lot.attachments.get(original_name=name)


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("report.html", HTML, "text/html"),
        ("figure.svg", SVG, "image/svg+xml"),
        ("disguised.png", HTML, "image/png"),  # the claim says image, the bytes say markup
        ("no-extension", HTML, ""),
    ],
)
def test_markup_attachment_is_a_sandboxed_download_never_a_page(
    client_demo: Client, blobs: Any, name: str, content: bytes, claimed: str
) -> None:
    attachment = attach(client_demo, name, content, claimed)
    assert attachment.content_type == "text/plain"  # what the server found, not the claim
    response = client_demo.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content  # the bytes, untouched
    assert response["Content-Type"].split(";")[0] == "text/plain"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp


def test_an_attachment_stored_before_sniffing_is_served_safely(
    client_demo: Client, blobs: Any
) -> None:
    """A row written with the client's type before this fix is not trusted at download."""
    attachment = attach(client_demo, "old.html", HTML, "text/html")
    m.Attachment.objects.filter(pk=attachment.pk).update(content_type="text/html")
    response = client_demo.get(f"/attachments/{attachment.pk}/")
    assert response["Content-Type"].split(";")[0] == "text/plain"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("name", "content", "claimed", "served"),
    [
        ("xrd.png", PNG, "application/x-evil", "image/png"),
        ("coa.pdf", PDF, "text/html", "application/pdf"),
        ("xrd.csv", b"2theta,intensity\n38.1,1000\n", "text/html", "text/csv"),
        ("blob.bin", b"\x00\x01\x02\xff\xfe" * 20, "text/html", "application/octet-stream"),
    ],
)
def test_content_type_comes_from_the_bytes(
    client_demo: Client, blobs: Any, name: str, content: bytes, claimed: str, served: str
) -> None:
    attachment = attach(client_demo, name, content, claimed)
    response = client_demo.get(f"/attachments/{attachment.pk}/")
    assert response["Content-Type"].split(";")[0] == served
    assert response["Content-Disposition"].startswith("attachment;")
    assert f'filename="{name}"' in response["Content-Disposition"]


def test_sniffing_allow_list() -> None:
    assert sniff_content_type(b"GIF89a....", "x.gif") == "image/gif"
    assert sniff_content_type(b"\xff\xd8\xff\xe0\x00\x10JFIF", "sem.jpg") == "image/jpeg"
    assert sniff_content_type(b"II*\x00\x08\x00", "sem.tif") == "image/tiff"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert sniff_content_type(b"PK\x03\x04rest", "coa.xlsx") == xlsx
    assert sniff_content_type(b"PK\x03\x04rest", "coa.html") == "application/zip"
    # text cut mid-way through a multi-byte character is still text
    assert sniff_content_type("µm,nm\n1,2 µ".encode()[:-1], "d.txt") == "text/plain"
    assert sniff_content_type(b"abc\x00def", "d.txt") == "application/octet-stream"


def test_a_damaged_attachment_is_refused_not_served(client_demo: Client, blobs: Any) -> None:
    from labdb.storage import blob_path

    attachment = attach(client_demo, "scan.pdf", PDF + b"x" * 200, "application/pdf")
    path = blob_path(attachment.sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01  # one flipped bit on disk
    path.write_bytes(bytes(data))
    response = client_demo.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 503
    assert b"damaged" in response.content and attachment.sha256.encode() in response.content
    api = client_demo.get(f"/attachments/{attachment.pk}/", HTTP_ACCEPT="application/json")
    assert api.status_code == 503 and api.json()["code"] == "stored_file_damaged"
