from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count

from accounts.models import Team, TeamInvitation, TeamMembership, User
from accounts.services import user_deactivate


class UserChangeFormEmail(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserCreationFormEmail(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeFormEmail
    add_form = UserCreationFormEmail
    ordering = ["email"]
    list_display = [
        "email",
        "public_name",
        "first_name",
        "last_name",
        "level",
        "xp",
        "is_staff",
        "is_active",
    ]
    list_filter = ["is_staff", "is_active", "groups", "level"]
    search_fields = ["email", "public_name", "first_name", "last_name"]
    readonly_fields = ["level", "xp", "last_login", "created_at", "updated_at"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Profile",
            {
                "fields": (
                    "public_name",
                    "first_name",
                    "last_name",
                    "timezone",
                    "on_leaderboard",
                    "preferences",
                )
            },
        ),
        ("Progress", {"fields": ("level", "xp")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["deactivate_users"]

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate_users(self, request, queryset):
        count = 0
        for user in queryset.exclude(pk=request.user.pk).filter(is_active=True):
            user_deactivate(user=user)
            count += 1
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(request, "You cannot deactivate yourself.", messages.WARNING)
        self.message_user(
            request, f"{count} user(s) deactivated and signed out everywhere.", messages.SUCCESS
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Unticking "active" must also close tokens and open sockets, not just future logins.
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_deactivate(user=obj)


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["joined_at"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Operators' view of every team; trainers use the team pages (/teams/)."""

    list_display = ["name", "member_count", "created_by", "created_at"]
    search_fields = ["name", "memberships__user__email"]
    readonly_fields = ["created_by", "created_at"]
    inlines = [TeamMembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(description="People", ordering="member_total")
    def member_count(self, team):
        return team.member_total


@admin.register(TeamInvitation)
class TeamInvitationAdmin(admin.ModelAdmin):
    list_display = ["team", "email", "created_by", "created_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    readonly_fields = ["team", "email", "created_by", "created_at", "expires_at"]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request):
        return False  # links are made on the team page, which shows the secret once
