from rest_framework.authtoken.models import Token

from accounts.models import User

PROFILE_FIELDS = ("first_name", "last_name", "timezone")


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
