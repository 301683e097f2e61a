from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from accounts.exceptions import TeamNotFound
from accounts.forms import ProfileForm, TeamForm, TeamInviteForm
from accounts.selectors import (
    is_trainer,
    team_get_for_member,
    team_get_for_trainer,
    team_trainers,
    teams_for_user,
)
from accounts.services import (
    api_token_issue,
    api_token_revoke,
    team_create,
    team_invitation_create,
    team_invitation_email,
    team_invitation_get,
    team_join,
    team_member_remove,
    user_sessions_end,
    user_update_profile,
)
from core.errors import DomainError


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


# --- Teams ---------------------------------------------------------------------------------------


@login_required
def teams(request):
    """The teams the trainee belongs to; a trainer also creates teams here."""
    trainer = is_trainer(request.user)
    form = TeamForm(request.POST or None) if trainer else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only trainers can create teams.")
        if form.is_valid():
            team = team_create(trainer=request.user, name=form.cleaned_data["name"])
            messages.success(request, f"Team “{team.name}” created. Invite people with a link.")
            return redirect("team-detail", team_id=team.pk)
    return render(
        request,
        "accounts/teams.html",
        {"teams": teams_for_user(user=request.user), "is_trainer": trainer, "form": form},
    )


def trained_team_or_404(request, team_id):
    """The team if the requester trains it; a 404 otherwise, exactly as for no team at all."""
    try:
        return team_get_for_trainer(user=request.user, team_id=team_id)
    except TeamNotFound:
        raise Http404("No such team.") from None


@login_required
def team_detail(request, team_id):
    """A trainer sees the members, invites and removes; a member sees who trains the team."""
    try:
        team = team_get_for_trainer(user=request.user, team_id=team_id)
    except TeamNotFound:
        try:
            team = team_get_for_member(user=request.user, team_id=team_id)
        except TeamNotFound:
            raise Http404("No such team.") from None
        context = {"team": team, "trainers": team_trainers(team=team)}
        return render(request, "accounts/team_member.html", context)
    context = {
        "team": team,
        "memberships": team.memberships.all(),
        # Shown once, right after it is made: only a digest of it is stored.
        "invitation_url": request.session.pop(f"team-invitation-{team.pk}", None),
        "invite_form": TeamInviteForm(),
    }
    return render(request, "accounts/team_detail.html", context)


@login_required
@require_POST
def team_invite(request, team_id):
    team = trained_team_or_404(request, team_id)
    form = TeamInviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["email"]))
        return redirect("team-detail", team_id=team.pk)
    email = form.cleaned_data["email"]
    invitation, token = team_invitation_create(team=team, by=request.user, email=email)
    url = request.build_absolute_uri(reverse("team-join", args=[token]))
    until = f"{invitation.expires_at:%d %b %Y}"
    if email:
        team_invitation_email(invitation=invitation, url=url)
        messages.success(request, f"Invitation e-mailed to {email}. The link works until {until}.")
    else:
        request.session[f"team-invitation-{team.pk}"] = url
        messages.success(
            request, f"Invitation link ready. It works until {until} for anyone you send it to."
        )
    return redirect("team-detail", team_id=team.pk)


@login_required
@require_POST
def team_member_remove_view(request, team_id, user_id):
    team = trained_team_or_404(request, team_id)
    try:
        team_member_remove(team=team, by=request.user, user_id=user_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Removed from the team.")
    return redirect("team-detail", team_id=team.pk)


def team_join_view(request, token):
    """Opening an invitation: sign up or log in first (the link comes back), then confirm."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("account_signup"))
    try:
        invitation = team_invitation_get(token=token)
    except DomainError as error:
        return render(request, "accounts/team_join.html", {"error": error.message}, status=404)
    if request.method == "POST":
        team = team_join(user=request.user, token=token)
        messages.success(request, f"You joined “{team.name}”.")
        return redirect("team-detail", team_id=team.pk)
    return render(request, "accounts/team_join.html", {"team": invitation.team})
