import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.models import Group, Permission
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.exceptions import (
    InvitationExpired,
    InvitationNotFound,
    LastTrainer,
    NotATrainer,
    TeamNotFound,
)
from accounts.models import Team, TeamInvitation, TeamMembership, TeamRole, User
from accounts.security import session_fingerprint
from accounts.selectors import is_trainer
from core import live
from core.groups import user_group

logger = logging.getLogger(__name__)

PROFILE_FIELDS = (
    "public_name",
    "first_name",
    "last_name",
    "timezone",
    "on_leaderboard",
    "paced_replies",
)


def user_update_profile(*, user: User, data: dict) -> User:
    """Update what a trainee may change about themselves; anything else in `data` is ignored."""
    changed = []
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(user, field, data[field])
            changed.append(field)
    if "preferences" in data:
        user.preferences = {**(user.preferences or {}), **data["preferences"]}
        changed.append("preferences")
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    return user


def api_token_issue(*, user: User) -> Token:
    token, _ = Token.objects.get_or_create(user=user)
    return token


def api_token_revoke(*, user: User) -> bool:
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


def user_sessions_end(*, user: User, keep_request=None, reason: str = "signed_out") -> None:
    """End every browser session and open WebSocket of `user`, except the session of
    `keep_request` when given (the page that asked). Sessions on any engine die because the
    epoch is part of their auth hash; sockets are told through the user's channel group.
    """
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    keep = []
    if keep_request is not None:
        # The open sockets of this browser still carry the key from before the rotation.
        keep.append(session_fingerprint(keep_request.session.session_key))
        update_session_auth_hash(keep_request, user)
        keep.append(session_fingerprint(keep_request.session.session_key))
    event = {"type": "force.disconnect", "reason": reason, "keep_sessions": [k for k in keep if k]}
    # A socket that misses it (its buffer full: not reading) fails the hash check on reconnect.
    transaction.on_commit(lambda: live.send(user_group(user.pk), event))


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Lock a trainee out everywhere now: pages, API tokens and open WebSockets."""
    user.is_active = False
    user.save(update_fields=["is_active", "updated_at"])
    Token.objects.filter(user=user).delete()
    user_sessions_end(user=user, reason="deactivated")


@transaction.atomic
def user_password_changed(*, user: User, request=None) -> None:
    """After a password change or reset nothing opened with the old password may stay open:
    other sessions, sockets and the API token (a script can ask for a new one)."""
    Token.objects.filter(user=user).delete()
    keep_request = request if request is not None and request.user == user else None
    user_sessions_end(user=user, keep_request=keep_request, reason="password_changed")


# --- Teams ---------------------------------------------------------------------------------------

#: How long an invitation link works.
INVITATION_DAYS = 14


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_trainer_of(*, team: Team, user: User) -> None:
    trains = TeamMembership.objects.filter(team=team, user=user, role=TeamRole.TRAINER)
    if not trains.exists():
        raise TeamNotFound()


@transaction.atomic
def team_create(*, trainer: User, name: str) -> Team:
    """A new team with `trainer` as its first trainer; only trainers may create teams."""
    if not is_trainer(trainer):
        raise NotATrainer()
    team = Team.objects.create(name=name.strip(), created_by=trainer)
    TeamMembership.objects.create(team=team, user=trainer, role=TeamRole.TRAINER)
    return team


def team_invitation_create(
    *, team: Team, by: User, email: str = "", days: int = INVITATION_DAYS
) -> tuple[TeamInvitation, str]:
    """An invitation link's secret (returned once, never stored) and its record."""
    _require_trainer_of(team=team, user=by)
    token = secrets.token_urlsafe(24)
    invitation = TeamInvitation.objects.create(
        team=team,
        token_digest=_digest(token),
        email=email,
        created_by=by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return invitation, token


def team_invitation_email(*, invitation: TeamInvitation, url: str) -> None:
    """E-mail the invitation link to `invitation.email`, once the invitation is saved. The link
    is the only way in: it leads through sign-up (or sign-in) and back to joining."""
    trainer = invitation.created_by.display_name if invitation.created_by else "A trainer"
    message = (
        f"Hello,\n\n{trainer} invited you to join the team “{invitation.team.name}” on "
        f"Support Dojo, to practise customer-support conversations together.\n\n"
        f"Open this link to sign up (or sign in) and join:\n{url}\n\n"
        f"It works until {invitation.expires_at:%d %b %Y}.\n"
    )
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Join “{invitation.team.name}” on Support Dojo",
            message=message,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[invitation.email],
        ),
        robust=True,
    )


def team_invitation_get(*, token: str) -> TeamInvitation:
    """The usable invitation behind `token`."""
    try:
        invitation = TeamInvitation.objects.select_related("team").get(
            token_digest=_digest(str(token))
        )
    except TeamInvitation.DoesNotExist:
        raise InvitationNotFound() from None
    if not invitation.is_usable:
        raise InvitationExpired()
    return invitation


def team_join(*, user: User, token: str) -> Team:
    """Add `user` to the invitation's team as a member (a trainer of it stays a trainer);
    joining twice changes nothing."""
    invitation = team_invitation_get(token=token)
    TeamMembership.objects.get_or_create(
        team=invitation.team, user=user, defaults={"role": TeamRole.MEMBER}
    )
    return invitation.team


@transaction.atomic
def team_member_remove(*, team: Team, by: User, user_id) -> None:
    """Take someone off the team. A trainer may remove anyone but the last trainer."""
    _require_trainer_of(team=team, user=by)
    memberships = TeamMembership.objects.select_for_update().filter(team=team)
    target = memberships.filter(user_id=user_id).first()
    if target is None:
        raise TeamNotFound("No such member of this team.")
    trainers = memberships.filter(role=TeamRole.TRAINER).count()
    if target.role == TeamRole.TRAINER and trainers <= 1:
        raise LastTrainer()
    target.delete()


# --- Roles ---------------------------------------------------------------------------------------

#: The trainer role: create teams, invite and remove people, follow their training.
TRAINERS_GROUP = "Trainers"
TRAINER_PERMISSIONS = ("add_team", "change_team", "view_team", "add_teaminvitation")


def roles_ensure(*, using: str = "default") -> None:
    """The Trainers group with its permissions, created or completed (run after `migrate`)."""
    permissions = Permission.objects.using(using).filter(
        content_type__app_label="accounts", codename__in=TRAINER_PERMISSIONS
    )
    if permissions.count() < len(TRAINER_PERMISSIONS):
        return  # accounts' permissions are not created yet: a later post_migrate call will do
    group, _ = Group.objects.using(using).get_or_create(name=TRAINERS_GROUP)
    group.permissions.add(*permissions)


def trainer_role_grant(*, user: User) -> None:
    user.groups.add(Group.objects.get(name=TRAINERS_GROUP))
