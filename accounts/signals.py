"""Auth events raised by code we do not own (Django's logout, allauth's password flows), and
the roles every database needs after `migrate`; each receiver only hands over to a service."""

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from accounts.services import roles_ensure, user_password_changed, user_sessions_end


@receiver(post_migrate, dispatch_uid="accounts.roles")
def _roles(sender, app_config=None, using="default", **kwargs):
    # After every app's permissions exist: the last app to migrate is enough, and it is idempotent.
    roles_ensure(using=using)


@receiver(user_logged_out, dispatch_uid="accounts.logout_everywhere")
def _logout_ends_every_session(sender, request, user, **kwargs):
    # Logging out is "this person is done here": the trainee's other devices end too.
    if user is not None:
        user_sessions_end(user=user, reason="logged_out")


@receiver(password_changed, dispatch_uid="accounts.password_changed")
@receiver(password_set, dispatch_uid="accounts.password_set")
@receiver(password_reset, dispatch_uid="accounts.password_reset")
def _password_change_ends_other_sessions(sender, request, user, **kwargs):
    user_password_changed(user=user, request=request)
