"""Submitting an appeal: /h5/new/, collection points, enterprises; validation and rate limit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from minhu.appeals.models import Appeal, AppellantKind, Attachment, Channel, EventKind
from minhu.residents.forms import derive_subject
from minhu.residents.views import SESSION_KEY

from .conftest import PHONE, png_upload

pytestmark = pytest.mark.django_db
NEW = "/h5/new/"


def form_data(**overrides):
    data = {
        "detail": "小区门口的路灯坏了一周了，晚上很黑。",
        "subject": "",
        "category": "",
        "address": "幸福小区东门",
        "identity": "named",
        "name": "王女士",
        "phone": PHONE,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_landing_links_to_the_three_things(client):
    html = client.get("/h5/").content.decode()
    for text, url in (("我要反映", NEW), ("查询进度", "/h5/track/"), ("评价", "/h5/track/")):
        assert text in html and f'href="{url}' in html


def test_form_renders_with_categories_in_groups(client, org):
    r = client.get(NEW)
    html = r.content.decode()
    assert r.status_code == 200
    assert '<optgroup label="城乡建设">' in html and "路灯照明" in html
    assert 'type="file"' in html and "multiple" in html
    assert 'enctype="multipart/form-data"' in html


def test_named_submission_with_photos(client, org):
    r = client.post(
        NEW,
        {
            **form_data(category=str(org.category.pk)),
            "photos": [png_upload("a.png"), png_upload("b.png", color="blue")],
        },
    )
    appeal = Appeal.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/h5/done/{appeal.code}/"
    assert appeal.channel == Channel.H5 and appeal.collection_point is None
    assert appeal.appellant_kind == AppellantKind.PERSON
    assert (appeal.appellant_name, appeal.appellant_phone) == ("王女士", PHONE)
    assert appeal.category == org.category and appeal.address == "幸福小区东门"
    assert appeal.subject == "小区门口的路灯坏了一周了，晚上很黑"  # derived: 1st sentence
    assert Attachment.objects.filter(appeal=appeal).count() == 2
    assert appeal.events.get().kind == EventKind.REGISTER
    assert client.session[SESSION_KEY] == {appeal.code: PHONE}
    done = client.get(r["Location"]).content.decode()
    assert appeal.code in done and f'data-copy="{appeal.code}"' in done
    assert "3个工作日" in done and "24小时" in done  # the default time limits


def test_given_subject_is_kept(client, org):
    client.post(NEW, form_data(subject="东门路灯"))
    assert Appeal.objects.get().subject == "东门路灯"


def test_anonymous_submission_drops_name_and_phone(client, org):
    r = client.post(NEW, form_data(identity="anonymous", phone="not a phone"))
    appeal = Appeal.objects.get()
    assert r.status_code == 302
    assert appeal.appellant_kind == AppellantKind.ANONYMOUS
    assert appeal.appellant_phone == "" and appeal.appellant_name == ""
    done = client.get(r["Location"]).content.decode()
    assert "匿名反映只能凭它查询进度" in done and "与您联系" not in done


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"detail": ""}, "请描述您遇到的问题"),
        ({"detail": "路灯"}, "请至少写5个字"),
        ({"phone": ""}, "请填写手机号，或选择匿名反映"),
        ({"phone": "1381234"}, "手机号格式不正确"),
        ({"identity": "bogus"}, "请选择是否匿名"),
        ({"category": "999999"}, "请从列表中选择类别"),
    ],
)
def test_validation_errors_inline_and_form_refilled(client, org, overrides, field_error):
    data = form_data(**overrides)
    r = client.post(NEW, data)
    html = r.content.decode()
    assert r.status_code == 400 and Appeal.objects.count() == 0
    assert field_error in html and 'class="err"' in html
    assert "幸福小区东门" in html  # nothing typed is lost
    if data["detail"]:
        assert data["detail"] in html


def test_non_image_upload_is_refused_and_photos_must_be_rechosen(client, org):
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    r = client.post(NEW, {**form_data(), "photos": [fake]})
    html = r.content.decode()
    assert r.status_code == 400 and Appeal.objects.count() == 0
    assert "只能上传图片" in html
    assert "请重新选择" in html  # the browser cannot re-fill the file input
    assert "小区门口的路灯坏了一周了" in html
    assert Attachment.objects.count() == 0


def test_too_large_upload_is_refused(client, org, settings):
    settings.MINHU_UPLOAD_MAX_BYTES = 50
    r = client.post(NEW, {**form_data(), "photos": [png_upload(size=(64, 64))]})
    assert r.status_code == 400 and Appeal.objects.count() == 0
    assert "图片不能超过" in r.content.decode()


def test_too_many_photos(client, org, settings):
    settings.MINHU_H5_MAX_PHOTOS = 2
    r = client.post(NEW, {**form_data(), "photos": [png_upload() for _ in range(3)]})
    assert r.status_code == 400 and "最多上传2张照片" in r.content.decode()
    assert Appeal.objects.count() == 0


def test_rate_limit_per_client(client, org, settings):
    settings.MINHU_H5_LIMITS = {"submit": (2, 600)}
    for _ in range(2):
        assert client.post(NEW, form_data()).status_code == 302
    r = client.post(NEW, form_data(detail="第三次提交的内容，应该被拦下。"))
    html = r.content.decode()
    assert r.status_code == 429 and "提交太频繁了" in html
    assert "第三次提交的内容，应该被拦下。" in html  # kept for later
    assert Appeal.objects.count() == 2
    # Another client (address) is not affected.
    other = client.post(NEW, form_data(), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302 and Appeal.objects.count() == 3


def test_rate_limit_is_not_evaded_with_a_forwarded_for_header(client, org, settings):
    settings.MINHU_H5_LIMITS = {"submit": (1, 600)}
    assert client.post(NEW, form_data(), HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 302
    r = client.post(NEW, form_data(), HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert r.status_code == 429 and Appeal.objects.count() == 1


def test_rate_limit_behind_a_trusted_proxy(client, org, settings):
    settings.MINHU_H5_LIMITS = {"submit": (1, 600)}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # Every request comes from the proxy (REMOTE_ADDR); the client is what it appended.
    assert client.post(NEW, form_data(), HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302
    spoofed = client.post(NEW, form_data(), HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert spoofed.status_code == 429
    other = client.post(NEW, form_data(), HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.status_code == 302 and Appeal.objects.count() == 2


def test_failed_submissions_do_not_count_against_the_limit(client, org, settings):
    settings.MINHU_H5_LIMITS = {"submit": (1, 600)}
    assert client.post(NEW, form_data(phone="12")).status_code == 400
    assert client.post(NEW, form_data()).status_code == 302


def test_collection_point_tags_the_appeal(client, point):
    url = f"/h5/p/{point.code}/"
    page = client.get(url).content.decode()
    assert "东一社区意见征集点" in page
    r = client.post(url, form_data())
    appeal = Appeal.objects.get()
    assert r.status_code == 302
    assert appeal.collection_point == point and appeal.channel == point.channel == Channel.H5


def test_collection_point_channel_is_used(client, point):
    point.channel = Channel.QUESTIONNAIRE
    point.save()
    client.post(f"/h5/p/{point.code}/", form_data())
    assert Appeal.objects.get().channel == Channel.QUESTIONNAIRE


def test_inactive_or_unknown_point(client, point):
    assert client.get("/h5/p/nope/").status_code == 404
    point.active = False
    point.save()
    r = client.get(f"/h5/p/{point.code}/")
    assert r.status_code == 404 and "二维码已停用" in r.content.decode()
    assert client.post(f"/h5/p/{point.code}/", form_data()).status_code == 404
    assert Appeal.objects.count() == 0


def test_done_page_needs_this_browser(client, org):
    client.post(NEW, form_data())
    code = Appeal.objects.get().code
    other = client.__class__()
    r = other.get(f"/h5/done/{code}/")
    assert r.status_code == 302 and r["Location"] == f"/h5/track/?code={code}"


def test_derive_subject():
    assert derive_subject("路灯坏了。晚上很黑") == "路灯坏了"
    assert derive_subject("  楼道 堆放  杂物\n很久了") == "楼道 堆放 杂物"
    long = "小区门口的那一排路灯已经连续好几个晚上都不亮了居民出行很不方便"
    assert derive_subject(long) == long[:20] + "…"
    assert derive_subject("好。路灯坏了一周") == "好。路灯坏了一周"  # too short a sentence


# --- enterprises ---------------------------------------------------------------------------


def enterprise_data(org, **overrides):
    data = {
        "enterprise_name": "连云港某某科技有限公司",
        "detail": "办理施工许可时材料被反复退回，跑了三趟还没办成。",
        "about_unit": str(org.dept2.pk),
        "name": "李经理",
        "phone": "13900001111",
    }
    data.update(overrides)
    return data


def test_enterprise_submission(client, org):
    page = client.get("/h5/e/").content.decode()
    assert "企业名称" in page and "区住建局" in page and "匿名反映" not in page
    assert "东街道" not in page  # only departments can be chosen
    r = client.post("/h5/e/", enterprise_data(org))
    appeal = Appeal.objects.get()
    assert r.status_code == 302
    assert appeal.channel == Channel.ENTERPRISE
    assert appeal.appellant_kind == AppellantKind.ENTERPRISE
    assert appeal.enterprise_name == "连云港某某科技有限公司"
    assert appeal.about_unit == org.dept2
    done = client.get(r["Location"]).content.decode()
    assert "评价区住建局的服务" in done and f"/h5/e/rate/?from={appeal.code}" in done


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"enterprise_name": ""}, "请填写企业名称"),
        ({"phone": ""}, "请填写手机号"),
        ({"about_unit": "street"}, "请从列表中选择部门"),
    ],
)
def test_enterprise_validation(client, org, overrides, message):
    if overrides.get("about_unit") == "street":
        overrides["about_unit"] = str(org.street1.pk)  # not a department
    r = client.post("/h5/e/", enterprise_data(org, **overrides))
    assert r.status_code == 400 and message in r.content.decode()
    assert Appeal.objects.count() == 0


def test_enterprise_point(client, org, point):
    point.channel = Channel.ENTERPRISE
    point.save()
    # The plain point URL of an enterprise point goes to the enterprise form.
    r = client.get(f"/h5/p/{point.code}/")
    assert r.status_code == 302 and r["Location"] == f"/h5/e/p/{point.code}/"
    r = client.post(f"/h5/e/p/{point.code}/", enterprise_data(org))
    appeal = Appeal.objects.get()
    assert r.status_code == 302
    assert appeal.collection_point == point and appeal.channel == Channel.ENTERPRISE


def test_urls_reverse():
    assert reverse("residents:new") == NEW
    assert reverse("residents:qr_svg", args=["abc"]) == "/h5/qr/abc.svg"
