"""督办 / 领导批示 from the appeal page: a leader puts the appeal under supervision with their
instruction (the verb is evaluation's `supervise_appeal`; its guard decides what is shown)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.core.errors import DomainError
from minhu.evaluation import actions as evaluation_actions

from .common import visible_appeal_or_404


@login_required
@require_POST
def appeal_supervise(request, pk: int):
    appeal = visible_appeal_or_404(request.user, pk)
    try:
        evaluation_actions.supervise_appeal(
            appeal.pk,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            requirement=request.POST.get("requirement", ""),
            due_at=evaluation_actions.supervision_due_from_date(request.POST.get("due_at")),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已批示并列入督办"))
    return redirect(reverse("web:appeal", args=[appeal.pk]) + "#supervision")
