"""The REST API under ``/api/v1/``: serializers, viewsets, token authentication, renderers."""
