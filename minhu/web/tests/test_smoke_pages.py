"""Every page renders for the roles that may open it."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_render(org, login, make_appeal, loop):
    a = loop.in_progress(make_appeal())
    b = make_appeal()
    c = loop.replied(make_appeal())
    pages = [
        (org.dispatcher, reverse("web:dispatch")),
        (org.dispatcher, reverse("web:dispatch") + "?tab=returned"),
        (org.dispatcher, reverse("web:dispatch") + "?tab=dispatched"),
        (org.dispatcher, reverse("web:dispatch") + "?tab=escalated"),
        (org.dispatcher, reverse("web:dispatch") + "?tab=extensions"),
        (org.dispatcher, reverse("web:dispatch_panel", args=[b.pk])),
        (org.dispatcher, reverse("web:intake")),
        (org.dispatcher, reverse("web:appeal", args=[a.pk])),
        (org.dispatcher, reverse("web:appeal", args=[b.pk])),
        (org.dispatcher, reverse("web:appeals")),
        (org.s1_handler, reverse("web:workbench")),
        (org.s1_handler, reverse("web:appeal", args=[a.pk])),
        (org.callback, reverse("web:follow_up")),
        (org.callback, reverse("web:appeal", args=[c.pk])),
        (org.district_leader, reverse("web:overview")),
        (org.admin, reverse("web:manage_units")),
        (org.admin, reverse("web:manage_users")),
        (org.admin, reverse("web:manage_user", args=[org.s1_handler.pk])),
        (org.admin, reverse("web:manage_categories")),
        (org.admin, reverse("web:manage_time_limits")),
        (org.admin, reverse("web:manage_calendar")),
        (org.admin, reverse("web:manage_points")),
        (org.admin, reverse("web:manage_unit_new")),
        (org.admin, reverse("web:notifications")),
    ]
    for tab in ("claim", "progress", "reply", "due_soon", "overdue", "returned", "summoned"):
        pages.append((org.s1_handler, reverse("web:workbench") + f"?tab={tab}"))
    for user, url in pages:
        client = login(user)
        r = client.get(url)
        assert r.status_code == 200, (user, url, r.status_code)
