"""The signed-in user's own account: sign-in (throttled and locked out after repeated failures,
orgs/login_guard.py) and changing one's own password."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from minhu.core.errors import DomainError
from minhu.orgs import actions as org_actions
from minhu.orgs import login_guard

from .common import form_error


class LoginForm(AuthenticationForm):
    """Django's sign-in form; a locked account or address gets its own message (and 429)
    instead of "wrong password", before the password is checked."""

    locked = False

    def clean(self):
        username = self.cleaned_data.get("username")
        refused = login_guard.refusal(self.request, username or "")
        if refused:
            self.locked = True
            raise forms.ValidationError(refused, code="locked")
        return super().clean()


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked:
            response.status_code = 429
            response["Retry-After"] = "900"
        return response


class OwnPasswordForm(forms.Form):
    old_password = forms.CharField(
        label=gettext_lazy("当前密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password = forms.CharField(
        label=gettext_lazy("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("至少8个字符，不能全是数字、过于常见或与用户名相似"),
    )
    new_password2 = forms.CharField(
        label=gettext_lazy("确认新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("new_password"), data.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", _("两次输入的密码不一致"))
        return data


@sensitive_post_parameters("old_password", "new_password", "new_password2")
@login_required
def change_password(request):
    form = OwnPasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = org_actions.change_own_password(
                    request.user.pk,
                    actor=request.user,
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                    request=request,
                )
            except DomainError as exc:
                status = exc.http_status
                form_error(form, exc)
            else:
                # This session stays signed in; every other one (and every API token) ends.
                update_session_auth_hash(request, user)
                messages.success(request, _("密码已修改，其他设备上的登录已退出"))
                return redirect("web:change_password")
    return render(request, "web/account/password.html", {"form": form}, status=status)
