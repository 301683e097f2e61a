"""Reads about people and teams. A team is seen only by its own trainers (in full) and
members (its name and trainers); anyone else gets `TeamNotFound`, never a hint it exists."""

from django.db.models import Count, Prefetch, Q

from accounts.exceptions import TeamNotFound
from accounts.models import Team, TeamMembership, TeamRole

#: The permission the Trainers group grants (data migration `accounts.0005`).
TRAINER_PERMISSION = "accounts.add_team"


def is_trainer(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(TRAINER_PERMISSION)


def _with_counts(queryset):
    return queryset.annotate(
        member_count=Count("memberships", filter=Q(memberships__role=TeamRole.MEMBER)),
        trainer_count=Count("memberships", filter=Q(memberships__role=TeamRole.TRAINER)),
    )


def teams_for_user(*, user) -> list[Team]:
    """The teams `user` trains or belongs to, each with `.role` (theirs) and member counts."""
    mine = TeamMembership.objects.filter(user=user)
    roles = dict(mine.values_list("team_id", "role"))
    teams = list(_with_counts(Team.objects.filter(pk__in=list(roles))).order_by("name", "id"))
    for team in teams:
        team.role = roles[team.pk]
    return teams


def team_get_for_trainer(*, user, team_id) -> Team:
    """A team `user` trains, with its memberships (users fetched up front)."""
    members = TeamMembership.objects.select_related("user").order_by("role", "user__email")
    queryset = _with_counts(Team.objects.all()).prefetch_related(
        Prefetch("memberships", queryset=members)
    )
    try:
        return queryset.get(pk=team_id, memberships__user=user, memberships__role=TeamRole.TRAINER)
    except (Team.DoesNotExist, ValueError, TypeError):
        raise TeamNotFound() from None


def team_get_for_member(*, user, team_id) -> Team:
    """A team `user` belongs to in any role, with `.role` set to theirs."""
    try:
        membership = TeamMembership.objects.select_related("team").get(team_id=team_id, user=user)
    except (TeamMembership.DoesNotExist, ValueError, TypeError):
        raise TeamNotFound() from None
    team = membership.team
    team.role = membership.role
    return team


def team_trainers(*, team) -> list:
    return [
        membership.user
        for membership in TeamMembership.objects.filter(team=team, role=TeamRole.TRAINER)
        .select_related("user")
        .order_by("user__email")
    ]
