from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from accounts.forms import ProfileForm
from accounts.services import (
    api_token_issue,
    api_token_revoke,
    user_sessions_end,
    user_update_profile,
)


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user_update_profile(
            user=request.user,
            data={**form.cleaned_data, "preferences": form.preferences()},
        )
        messages.success(request, "Your profile has been saved.")
        return redirect("profile")
    context = {
        "form": form,
        "has_token": Token.objects.filter(user=request.user).exists(),
        # Shown once, right after it is issued.
        "new_token": request.session.pop("show_token", None),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def token_create(request):
    token = api_token_issue(user=request.user)
    messages.success(request, "Your API token is ready. Keep it secret.")
    request.session["show_token"] = token.key
    return redirect("profile")


@login_required
@require_POST
def token_revoke(request):
    if api_token_revoke(user=request.user):
        messages.success(request, "Your API token has been revoked. Scripts using it stop now.")
    else:
        messages.info(request, "You had no API token.")
    return redirect("profile")


@login_required
@require_POST
def sessions_end_others(request):
    user_sessions_end(user=request.user, keep_request=request, reason="signed_out")
    messages.success(request, "You are signed out on every other device and browser.")
    return redirect("profile")
