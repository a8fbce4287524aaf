"""Streaming uploads: the request body goes to a temporary file in chunks, never into memory, and
a body over ``LABDB_MAX_UPLOAD_BYTES`` is refused with 413 as early as it can be known: from
``Content-Length`` before reading anything, else while the bytes arrive."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from rest_framework import status
from rest_framework.exceptions import APIException

#: Room for the multipart boundaries and the other form fields around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"the upload is larger than the limit of {limit} bytes")


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler, counting bytes and stopping at the limit."""

    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: Any,
        encoding: Any = None,
    ) -> None:
        if content_length and content_length > self.limit + MULTIPART_OVERHEAD_BYTES:
            raise UploadTooLarge(self.limit)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.file is not None:
                self.file.close()  # deletes the temporary file
            raise UploadTooLarge(self.limit)
        return super().receive_data_chunk(raw_data, start)


def prepare_streaming_upload(request: Any) -> None:
    """Check the declared length and install the limited handler; call before ``request.data``."""
    limit = settings.MAX_UPLOAD_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + MULTIPART_OVERHEAD_BYTES:
        raise UploadTooLarge(limit)
    django_request = getattr(request, "_request", request)
    # If the body was already parsed (a browser session's CSRF check reads the form when the
    # token is not in a header), Django's own handlers spooled the file to disk past
    # FILE_UPLOAD_MAX_MEMORY_SIZE and the blob store still enforces the limit (413).
    with contextlib.suppress(AttributeError):
        django_request.upload_handlers = [
            LimitedTemporaryFileUploadHandler(django_request, limit=limit)
        ]
