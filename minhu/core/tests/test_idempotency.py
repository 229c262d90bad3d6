"""Idempotency-Key on intake: a retried request registers nothing twice (staff API, public
API, the H5 form's hidden token)."""

import threading
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from minhu.appeals.models import Appeal
from minhu.appeals.tests.factories import client_for
from minhu.core.models import IdempotencyKey

STAFF = "/api/v1/appeals/"
PUBLIC = "/api/v1/public/appeals/"
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def staff_body(org, **extra):
    return {
        "channel": "hotline",
        "subject": "路灯不亮",
        "detail": "小区门口的路灯坏了一周，晚上很黑",
        "appellant_name": "张三",
        "appellant_phone": PHONE,
        "grid": org.grid1.pk,
        **extra,
    }


@pytest.mark.django_db
def test_staff_api_retry_with_the_same_key_creates_one_appeal(org):
    desk = client_for(org.dispatcher)
    key = str(uuid.uuid4())
    first = desk.post(STAFF, staff_body(org), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201
    again = desk.post(STAFF, staff_body(org), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert again.json()["code"] == first.json()["code"]
    assert Appeal.objects.count() == 1
    # Without a key, or with another key: a new appeal each time.
    assert desk.post(STAFF, staff_body(org), format="json").status_code == 201
    other = desk.post(STAFF, staff_body(org), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert Appeal.objects.count() == 3


@pytest.mark.django_db
def test_same_key_other_body_is_refused_and_keys_are_scoped(org):
    desk = client_for(org.dispatcher)
    assert (
        desk.post(STAFF, staff_body(org), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code
        == 201
    )
    r = desk.post(STAFF, staff_body(org, subject="别的事"), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "idempotency_key_reused"
    # Keys are scoped: the public endpoint's "k" is another key.
    public = {"subject": "垃圾清运不及时", "detail": "三天没有清运了", "appellant_phone": PHONE}
    r = client_for(None).post(PUBLIC, public, format="multipart", HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r
    assert Appeal.objects.count() == 2
    r = desk.post(STAFF, staff_body(org), format="json", HTTP_IDEMPOTENCY_KEY=" " * 3)
    assert r.status_code == 400 and r.json()["error"]["code"] == "idempotency_key_invalid"


@pytest.mark.django_db
def test_failed_request_leaves_no_key_so_the_retry_works(org):
    desk = client_for(org.dispatcher)
    bad = desk.post(STAFF, staff_body(org, subject=""), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = desk.post(
        STAFF, staff_body(org, subject="路灯坏了"), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert good.status_code == 201 and Appeal.objects.count() == 1


@pytest.mark.django_db
def test_public_api_retry_returns_the_same_receipt(org):
    anon = client_for(None)
    body = {"subject": "垃圾清运不及时", "detail": "三天没有清运了", "appellant_phone": PHONE}
    first = anon.post(PUBLIC, body, format="multipart", HTTP_IDEMPOTENCY_KEY="pub-1")
    again = anon.post(PUBLIC, body, format="multipart", HTTP_IDEMPOTENCY_KEY="pub-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["code"] == first.json()["code"]
    assert Appeal.objects.count() == 1


@pytest.mark.django_db
def test_h5_form_resend_shows_the_first_tracking_code(org):
    web = Client()
    page = web.get("/h5/new/").content.decode()
    token = page.split('name="idempotency_token" value="', 1)[1].split('"', 1)[0]
    assert len(token) == 32
    data = {
        "detail": "小区门口的路灯坏了一周了，晚上很黑。",
        "address": "幸福小区东门",
        "identity": "named",
        "name": "王女士",
        "phone": PHONE,
        "idempotency_token": token,
    }
    first = web.post("/h5/new/", data)
    again = Client().post("/h5/new/", data)  # a resend, even from a fresh session
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Appeal.objects.count() == 1
    # A fresh form (new token) is a new appeal.
    token2 = web.get("/h5/new/").content.decode().split('name="idempotency_token" value="')[1][:32]
    assert token2 != token
    web.post("/h5/new/", {**data, "idempotency_token": token2})
    assert Appeal.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_appeal(org):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers (SQLite serialises them)")
    results: list[int] = []

    def post():
        try:
            r = client_for(org.dispatcher).post(
                STAFF, staff_body(org), format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
            results.append(r.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [201] * 4
    assert Appeal.objects.count() == 1
