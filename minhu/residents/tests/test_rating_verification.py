"""Unforgeable public ratings (issue 14 item 6): a rating is verified by an SMS code sent to the
rater's phone, or by the enterprise's own appeal; unverified ratings are kept but counted apart."""

from __future__ import annotations

import re

import pytest

from minhu.appeals.models import Appeal
from minhu.core.errors import IllegalTransition, InvalidInput
from minhu.notifications.sms import MemorySMSBackend
from minhu.residents import actions, verify
from minhu.residents.models import EnterpriseRating, ServiceRating
from minhu.web.tests.test_i18n import _compiled_catalogue  # noqa: F401  (compiles the .mo)

from .test_ratings import enterprise_rating

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def sms(settings):
    settings.MINHU_SMS_BACKEND = "minhu.notifications.sms.MemorySMSBackend"
    MemorySMSBackend.outbox.clear()
    yield MemorySMSBackend.outbox
    MemorySMSBackend.outbox.clear()


def sent_code(sms) -> str:
    phone, text = sms[-1]
    assert phone == PHONE
    return re.search(r"\d{6}", text).group()


def test_service_rating_verified_by_sms_code(client, hall, sms):
    url = f"/h5/p/{hall.code}/rate/"
    page = client.get(url).content.decode()
    assert "获取验证码" in page and "不计入满意率" in page
    r = client.post(url, {"satisfaction": "satisfied", "phone": PHONE, "send_code": "1"})
    body = r.content.decode()
    assert r.status_code == 200 and "验证码已发送至139****5678" in body
    assert "请选择满意度" not in body and PHONE in body  # the form comes back as typed
    assert not ServiceRating.objects.exists()
    code = sent_code(sms)
    assert PHONE not in str(client.session.items())  # the code is in the cache, not the page
    r = client.post(url, {"satisfaction": "satisfied", "phone": PHONE, "sms_code": code})
    assert r.status_code == 302
    rating = ServiceRating.objects.get()
    assert rating.verified == "sms" and rating.phone_hash == verify.phone_hash(PHONE)
    assert PHONE not in rating.phone_hash
    # One verified rating per phone and hall a day, even with a fresh code.
    client.post(url, {"phone": PHONE, "send_code": "1"})
    r = client.post(url, {"satisfaction": "basic", "phone": PHONE, "sms_code": sent_code(sms)})
    assert r.status_code == 400 and "这个手机号已评价过" in r.content.decode()
    assert ServiceRating.objects.count() == 1


def test_without_a_phone_the_rating_is_kept_unverified(client, hall, sms):
    r = client.post(f"/h5/p/{hall.code}/rate/", {"satisfaction": "unsatisfied"})
    assert r.status_code == 302
    assert ServiceRating.objects.get().verified == "" and sms == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phone": PHONE, "sms_code": "000000"}, "验证码已失效"),  # none was sent
        ({"phone": PHONE}, "请填写短信验证码"),
        ({"sms_code": "123456"}, "请填写手机号"),
        ({"phone": "12345", "sms_code": "123456"}, "手机号格式不正确"),
    ],
)
def test_bad_verification_is_refused_and_nothing_is_saved(client, hall, sms, data, message):
    r = client.post(f"/h5/p/{hall.code}/rate/", {"satisfaction": "satisfied", **data})
    assert r.status_code == 400 and message in r.content.decode()
    assert not ServiceRating.objects.exists()


def test_a_code_dies_after_five_wrong_guesses(client, hall, sms):
    url = f"/h5/p/{hall.code}/rate/"
    client.post(url, {"phone": PHONE, "send_code": "1"})
    code = sent_code(sms)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(verify.MAX_TRIES):
        r = client.post(url, {"satisfaction": "satisfied", "phone": PHONE, "sms_code": wrong})
        assert "验证码不正确" in r.content.decode()
    r = client.post(url, {"satisfaction": "satisfied", "phone": PHONE, "sms_code": code})
    assert r.status_code == 400 and "验证码已失效" in r.content.decode()
    assert not ServiceRating.objects.exists()


def test_sending_codes_is_limited_per_phone_and_per_address(client, hall, sms, settings):
    url = f"/h5/p/{hall.code}/rate/"
    settings.MINHU_H5_LIMITS = {"sms_code": (10, 3600), "sms_code_phone": (2, 3600)}
    for _ in range(2):
        assert client.post(url, {"phone": PHONE, "send_code": "1"}).status_code == 200
    r = client.post(url, {"phone": PHONE, "send_code": "1"})
    assert r.status_code == 429 and "验证码发送过于频繁" in r.content.decode()
    assert len(sms) == 2
    settings.MINHU_H5_LIMITS = {"sms_code": (2, 3600), "sms_code_phone": (9, 3600)}
    r = client.post(url, {"phone": "13700001111", "send_code": "1"})
    assert r.status_code == 429 and len(sms) == 2


class BrokenGateway:
    def send(self, phone: str, text: str) -> None:
        raise RuntimeError("gateway down")


def test_a_gateway_failure_is_reported_on_the_form(client, hall, settings):
    settings.MINHU_SMS_BACKEND = f"{__name__}.BrokenGateway"
    r = client.post(f"/h5/p/{hall.code}/rate/", {"phone": PHONE, "send_code": "1"})
    assert r.status_code == 400 and "验证码发送失败" in r.content.decode()
    with pytest.raises(InvalidInput) as e:  # and no code was left behind to be guessed
        verify.confirm(PHONE, "123456")
    assert e.value.code == "sms_code_expired"
    with pytest.raises(InvalidInput) as e:
        verify.clean_phone("010-12345678")  # a landline cannot receive the code
    assert e.value.code == "invalid_phone"


def test_enterprise_rating_verified_by_sms_once_per_department(client, org, sms):
    client.post("/h5/e/rate/", {"phone": PHONE, "send_code": "1"})
    r = client.post("/h5/e/rate/", enterprise_rating(org, phone=PHONE, sms_code=sent_code(sms)))
    assert r.status_code == 302
    assert EnterpriseRating.objects.get().verified == "sms"
    client.post("/h5/e/rate/", {"phone": PHONE, "send_code": "1"})
    again = enterprise_rating(org, enterprise_name="另一家公司", phone=PHONE)
    r = client.post("/h5/e/rate/", {**again, "sms_code": sent_code(sms)})
    assert r.status_code == 400 and "这个手机号已评价过" in r.content.decode()
    # Another department is another target.
    client.post("/h5/e/rate/", {"phone": PHONE, "send_code": "1"})
    other = enterprise_rating(org, department=str(org.dept1.pk), phone=PHONE)
    assert client.post("/h5/e/rate/", {**other, "sms_code": sent_code(sms)}).status_code == 302
    assert EnterpriseRating.objects.filter(verified="sms").count() == 2


def test_an_enterprise_rating_tied_to_its_own_appeal_is_verified(client, org):
    client.post(
        "/h5/e/",
        {
            "enterprise_name": "某某科技有限公司",
            "detail": "施工许可材料被反复退回，跑了三趟。",
            "about_unit": str(org.dept2.pk),
            "phone": "13900001111",
        },
    )
    appeal = Appeal.objects.get()
    page = client.get(f"/h5/e/rate/?from={appeal.code}").content.decode()
    assert "获取验证码" not in page  # the appeal proves it already
    r = client.post("/h5/e/rate/", enterprise_rating(org, **{"from": appeal.code}))
    assert r.status_code == 302
    assert EnterpriseRating.objects.get().verified == "appeal"


def test_the_verbs_check_the_code_too(hall, sms, rf):
    request = rf.post("/")
    verify.send_code(request, PHONE)
    code = sent_code(sms)
    with pytest.raises(InvalidInput):
        actions.rate_service(hall, actor=None, satisfaction="basic", phone=PHONE, sms_code="x")
    rating = actions.rate_service(
        hall, actor=None, satisfaction="basic", phone=PHONE, sms_code=code
    )
    assert rating.verified == "sms"
    with pytest.raises(IllegalTransition):  # the same phone again the same day
        actions.rate_service(hall, actor=None, satisfaction="basic", phone=PHONE, sms_code=code)


def test_verification_and_lockout_messages_in_english(client, hall, sms, org):
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    url = f"/h5/p/{hall.code}/rate/"
    page = client.get(url, **en).content.decode()
    assert "Send code" in page and "Verify your phone" in page
    r = client.post(url, {"phone": PHONE, "send_code": "1"}, **en)
    assert "A code was sent to 139****5678" in r.content.decode()
    assert "Your rating code is" in sms[-1][1]
    r = client.post(url, {"satisfaction": "basic", "phone": PHONE, "sms_code": "x"}, **en)
    assert "The code is wrong" in r.content.decode()
    for _ in range(5):
        client.post("/login/", {"username": "s1h", "password": "wrong"}, **en)
    r = client.post("/login/", {"username": "s1h", "password": "wrong"}, **en)
    assert r.status_code == 429 and "this account is locked" in r.content.decode()
