"""Following an export job from a page as a browser would: the request answers 303 to the
export's page, the page's status poll says when it is built, the download gives the file."""

from __future__ import annotations

from typing import Any

from django.test import Client

from labdb import models as m


def export_of(client: Client, response: Any) -> m.ExportJob:
    """The export job a request was sent to (303 to its page)."""
    assert response.status_code == 303, response.content[:500]
    location = response["Location"]
    assert location.startswith("/exports/") and location.endswith("/"), location
    return m.ExportJob.objects.get(pk=location.split("/")[2])


def download(client: Client, job: m.ExportJob) -> bytes:
    """The built file of a succeeded export, through the page's status poll and its link."""
    status = client.get(f"/exports/{job.pk}/status.json").json()
    assert status["status"] == "succeeded", status
    assert status["download"] == f"/exports/{job.pk}/download"
    response = client.get(status["download"])
    assert response.status_code == 200
    assert response["Content-Type"] == job.content_type
    assert f'filename="{job.file_name}"' in response["Content-Disposition"]
    return b"".join(response.streaming_content)
