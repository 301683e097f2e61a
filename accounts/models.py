import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.timezone import now

XP_PER_LEVEL = 100


def level_for_xp(xp: int) -> int:
    """The seed's rule: a level every 100 XP, starting at level 1."""
    return max(xp, 0) // XP_PER_LEVEL + 1


def public_name(*, chosen: str, first_name: str, last_name: str, pk) -> str:
    """The name other trainees see: the one chosen, else the full name, else a number.
    Never anything taken from the e-mail address."""
    return chosen or f"{first_name} {last_name}".strip() or f"Trainee {pk}"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone.")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # Emails are stored lower-cased; logging in with any casing must find the account.
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractBaseUser, PermissionsMixin):
    """A trainee or a content author; the email address is the login."""

    email = models.EmailField("email address", unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    # What other trainees see (leaderboards), asked for at sign-up.
    public_name = models.CharField(
        "display name",
        max_length=40,
        blank=True,
        db_default="",
        help_text="Shown to other trainees on leaderboards.",
    )
    # Off: left out of the global leaderboard (their teams' trainers still see them).
    on_leaderboard = models.BooleanField(
        "show me on the leaderboard", default=True, db_default=True
    )
    # Off: the customer's replies stream as fast as they come, with no pause to read or type.
    paced_replies = models.BooleanField(
        "customer types at a human pace", default=True, db_default=True
    )
    # `xp` only ever changes through gamification's ledger (atomic F() updates); `level`
    # is kept equal to level_for_xp(xp) in the same UPDATE.
    level = models.PositiveIntegerField(default=1)
    xp = models.PositiveIntegerField(default=0)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    preferences = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Content authors: may use the Django admin."
    )
    # Bumped to end every session at once (logout, "log out other devices", deactivation):
    # it is part of the session auth hash that Django checks on each request and WebSocket.
    # db_default keeps inserts by code deployed before the column valid (migration linter).
    session_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["-xp", "id"], name="user_xp_rank_idx")]

    def __str__(self):
        return self.email

    def _get_session_auth_hash(self, secret=None):
        # Django's hash covers only the password; epoch 0 keeps that exact value so that
        # sessions from before the epoch existed stay valid.
        payload = (
            self.password if not self.session_epoch else f"{self.password}|{self.session_epoch}"
        )
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            payload,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def display_name(self) -> str:
        return public_name(
            chosen=self.public_name,
            first_name=self.first_name,
            last_name=self.last_name,
            pk=self.pk,
        )

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.first_name or self.display_name

    @property
    def xp_into_level(self) -> int:
        return self.xp % XP_PER_LEVEL

    @property
    def xp_for_next_level(self) -> int:
        return XP_PER_LEVEL - self.xp_into_level

    @property
    def level_progress_percent(self) -> int:
        return round(100 * self.xp_into_level / XP_PER_LEVEL)


# --- Teams ---------------------------------------------------------------------------------------


class TeamRole(models.TextChoices):
    TRAINER = "trainer", "Trainer"
    MEMBER = "member", "Member"


class Team(models.Model):
    """A group of trainees and the trainers who follow them. A trainer sees only the teams they
    train; a trainee may belong to several teams."""

    name = models.CharField(max_length=80)
    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    role = models.CharField(max_length=16, choices=TeamRole.choices, default=TeamRole.MEMBER)
    joined_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["team", "role", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_membership_unique"),
        ]
        indexes = [models.Index(fields=["user", "role"], name="team_membership_user_idx")]

    def __str__(self):
        return f"{self.user} · {self.team} · {self.role}"


class TeamInvitation(models.Model):
    """A link that adds whoever opens it (signing up first if they must) to the team as a
    member. Only a digest of its secret is stored: a leaked database row is not a way in."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField(blank=True, help_text="Who it was sent to, if anyone.")
    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation to {self.team}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > now()
