"""Issue 14 items 6 and 9: one limit per residents' action whichever path it comes by (the H5
pages or the public API), a per-address hourly cap on photo bytes, the look-up lockout keyed on
the code as well as the address, and the phone kept out of the tracking API's query string."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from minhu.appeals.models import Appeal
from minhu.appeals.tests.test_api_public import _file as public_file

from .conftest import PHONE, png_bytes
from .test_submit import form_data
from .test_track import lookup, register

pytestmark = pytest.mark.django_db
PUBLIC = "/api/v1/public/appeals/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _api_file(api, **extra):
    return public_file(api, **extra)


def test_h5_and_api_share_one_submission_limit(client, org, settings):
    settings.MINHU_H5_LIMITS = {"submit": (2, 600)}
    api = APIClient()
    assert client.post("/h5/new/", form_data()).status_code == 302
    assert _api_file(api).status_code == 201
    # the quota is used up on both paths
    r = _api_file(api)
    assert r.status_code == 429 and r.json()["error"]["code"] == "throttled"
    assert client.post("/h5/new/", form_data()).status_code == 429
    assert Appeal.objects.count() == 2
    # another address is not affected
    assert _api_file(APIClient(REMOTE_ADDR="10.0.0.7")).status_code == 201


def _photo(name="p.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def test_photo_bytes_per_address_per_hour(client, org, settings):
    size = len(png_bytes())
    settings.MINHU_H5_LIMITS = {"upload_bytes": (3 * size, 3600)}
    api = APIClient()
    assert _api_file(api, attachments=[_photo(), _photo()]).status_code == 201
    r = _api_file(api, attachments=[_photo(), _photo()])  # 4 photos' worth: over
    assert r.status_code == 429 and r.json()["error"]["code"] == "upload_quota"
    page = client.post("/h5/new/", {**form_data(), "photos": [_photo(), _photo()]})
    assert page.status_code == 429 and "上传的照片已达上限" in page.content.decode()
    # without photos a resident can still file; one more photo still fits
    assert _api_file(api).status_code == 201
    assert _api_file(api, attachments=[_photo()]).status_code == 201
    assert Appeal.objects.count() == 3


def test_guessing_one_codes_phone_is_stopped_from_any_address(org, settings):
    settings.MINHU_H5_LIMITS = {"lookup_code": (3, 600)}
    appeal, other = register(), register()
    for i in range(3):  # three addresses, one code
        c = Client(REMOTE_ADDR=f"10.0.1.{i}")
        assert lookup(c, appeal.code, "13900000000").status_code == 400
    # the right phone from a fourth address waits too; the API counts in the same counter
    r = lookup(Client(REMOTE_ADDR="10.0.1.9"), appeal.code, PHONE)
    assert r.status_code == 429 and "查询次数过多" in r.content.decode()
    api = APIClient(REMOTE_ADDR="10.0.1.10")
    assert api.get(f"{PUBLIC}{appeal.code}/", HTTP_X_APPELLANT_PHONE=PHONE).status_code == 429
    # another resident behind the abuser's address (NAT) opens their own appeal
    assert lookup(Client(REMOTE_ADDR="10.0.1.0"), other.code, PHONE).status_code == 302


def test_failed_api_lookups_count_with_the_h5_ones(org, settings):
    settings.MINHU_H5_LIMITS = {"lookup": (3, 600)}
    appeal = register()
    api = APIClient()
    for _ in range(3):
        r = api.get(f"{PUBLIC}{appeal.code}/", HTTP_X_APPELLANT_PHONE="13900000000")
        assert r.status_code == 404
    assert lookup(Client(), appeal.code, PHONE).status_code == 429


def test_tracking_api_takes_the_phone_in_a_header_not_the_query(org):
    appeal = register()
    api = APIClient()
    r = api.get(f"{PUBLIC}{appeal.code}/", {"phone": PHONE})
    assert r.status_code == 400 and r.json()["error"]["code"] == "phone_in_query"
    r = api.get(f"{PUBLIC}{appeal.code}/", HTTP_X_APPELLANT_PHONE=PHONE)
    assert r.status_code == 200 and r.json()["code"] == appeal.code
    assert api.get(f"{PUBLIC}{appeal.code}/").status_code == 404
