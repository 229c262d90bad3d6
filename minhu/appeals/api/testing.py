"""Helpers for API tests: clients per user, small real images."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient


def client_for(user=None) -> APIClient:
    """An API client authenticated as `user` (anonymous when None)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def png(name: str = "photo.png", color: str = "red") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def not_an_image(name: str = "evil.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"#!/bin/sh\necho hi\n", content_type="image/png")


def error_code(response) -> str:
    return response.json()["error"]["code"]
