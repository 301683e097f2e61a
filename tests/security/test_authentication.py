"""Issue 10 §2: brute force is stopped without locking victims out, and sessions end when they
should (login rotation, logout, "log out other devices", password change, deactivation)."""

import pytest
from django.conf import settings as project_settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import api_token_issue, user_deactivate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ATTACKER_IP = "203.0.113.66"
VICTIM_IP = "198.51.100.7"
LIMIT = project_settings.AXES_FAILURE_LIMIT


def _browser(ip):
    return Client(REMOTE_ADDR=ip)


def _allauth_login(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def _admin_login(client, email, password):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password})


def _api_token(ip, email, password):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )


def _signed_in(client) -> bool:
    return SESSION_KEY in client.session


# --- Brute force ------------------------------------------------------------------------------


def test_allauth_login_locks_the_email_and_ip_pair_but_not_the_victim_elsewhere():
    victim = UserFactory(email="victim@example.com")
    attacker = _browser(ATTACKER_IP)
    for attempt in range(LIMIT):
        # Varying the case must not buy extra guesses.
        email = victim.email.upper() if attempt % 2 else victim.email
        response = _allauth_login(attacker, email, f"guess-{attempt}")
    assert response.status_code == 429

    # Even the right password is refused to the attacker's address now…
    response = _allauth_login(attacker, victim.email, PASSWORD)
    assert response.status_code == 429
    assert b"Sign-in paused" in response.content
    assert response["Retry-After"] == str(int(project_settings.AXES_COOLOFF_TIME.total_seconds()))
    assert not _signed_in(attacker)

    # …while the victim, from their own network, signs in as usual.
    victim_browser = _browser(VICTIM_IP)
    response = _allauth_login(victim_browser, victim.email, PASSWORD)
    assert response.status_code == 302
    assert _signed_in(victim_browser)


def test_the_admin_login_is_locked_out_the_same_way():
    author = UserFactory(email="author@example.com", is_staff=True)
    attacker = _browser(ATTACKER_IP)
    for attempt in range(LIMIT):
        _admin_login(attacker, author.email, f"guess-{attempt}")

    response = _admin_login(attacker, author.email, PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(attacker)

    author_browser = _browser(VICTIM_IP)
    assert _admin_login(author_browser, author.email, PASSWORD).status_code == 302
    assert _signed_in(author_browser)


def test_the_api_token_endpoint_is_locked_out_with_an_envelope_429():
    victim = UserFactory(email="scripted@example.com")
    for attempt in range(LIMIT):
        _api_token(ATTACKER_IP, victim.email, f"guess-{attempt}")

    response = _api_token(ATTACKER_IP, victim.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.json()["error"]
    assert "token" not in response.content.decode()

    response = _api_token(VICTIM_IP, victim.email, PASSWORD)
    assert response.status_code == 200
    assert response.json()["data"]["token"]


def test_guesses_spread_over_the_three_doors_share_one_count():
    victim = UserFactory(email="doors@example.com")
    attacker = _browser(ATTACKER_IP)
    doors = [
        lambda n: _allauth_login(attacker, victim.email, f"a-{n}"),
        lambda n: _admin_login(attacker, victim.email.upper(), f"b-{n}"),
        lambda n: _api_token(ATTACKER_IP, victim.email, f"c-{n}"),
    ]
    for attempt in range(LIMIT):
        doors[attempt % 3](attempt)
    assert _allauth_login(attacker, victim.email, PASSWORD).status_code == 429


def test_failures_from_many_addresses_never_lock_the_victim_out():
    """allauth's default per-email limit (5 in 5 minutes) would block the victim everywhere."""
    victim = UserFactory(email="popular@example.com")
    for n in range(3 * LIMIT):
        _allauth_login(_browser(f"192.0.2.{n + 1}"), victim.email, "wrong")

    victim_browser = _browser(VICTIM_IP)
    assert _allauth_login(victim_browser, victim.email, PASSWORD).status_code == 302
    assert _signed_in(victim_browser)


def test_password_spraying_from_one_address_is_cut_off_by_allauths_per_ip_limit():
    target = UserFactory(email="sprayed@example.com")
    sprayer = _browser(ATTACKER_IP)
    # Each address is tried once: axes' (email, IP) counter never reaches its limit.
    for n in range(20):
        _allauth_login(sprayer, f"someone-{n}@example.com", "Winter2026!")

    response = _allauth_login(sprayer, target.email, PASSWORD)
    assert response.status_code == 200
    assert b"Too many failed login attempts" in response.content
    assert not _signed_in(sprayer)

    assert _allauth_login(_browser(VICTIM_IP), target.email, PASSWORD).status_code == 302


def test_a_successful_login_resets_the_failure_count():
    user = UserFactory(email="forgetful@example.com")
    browser = _browser(VICTIM_IP)
    for attempt in range(LIMIT - 1):
        _allauth_login(browser, user.email, f"typo-{attempt}")
    assert _allauth_login(browser, user.email, PASSWORD).status_code == 302
    browser.post("/accounts/logout/")

    for attempt in range(LIMIT - 1):
        _allauth_login(browser, user.email, f"typo-again-{attempt}")
    assert _allauth_login(browser, user.email, PASSWORD).status_code == 302


# --- Sessions ---------------------------------------------------------------------------------


def test_the_session_key_rotates_on_login():
    user = UserFactory()
    browser = _browser(VICTIM_IP)
    browser.get("/accounts/login/")
    session = browser.session
    session["planted"] = "by an attacker who fixed this session id"
    session.save()
    planted_key = session.session_key
    browser.cookies["sessionid"] = planted_key

    response = _allauth_login(browser, user.email, PASSWORD)

    assert response.status_code == 302
    new_key = response.cookies["sessionid"].value
    assert new_key != planted_key
    # The planted key does not lead into the account.
    fixed = Client(REMOTE_ADDR=ATTACKER_IP)
    fixed.cookies["sessionid"] = planted_key
    assert fixed.get("/profile/").status_code == 302


def _two_devices(user):
    laptop, phone = _browser(VICTIM_IP), _browser("198.51.100.8")
    for device in (laptop, phone):
        assert _allauth_login(device, user.email, PASSWORD).status_code == 302
        assert device.get("/profile/").status_code == 200
    return laptop, phone


def test_logging_out_ends_the_trainees_other_sessions_too():
    user = UserFactory()
    laptop, phone = _two_devices(user)

    laptop.post("/accounts/logout/")

    assert laptop.get("/profile/").status_code == 302
    assert phone.get("/profile/").status_code == 302


def test_log_out_other_devices_keeps_this_browser_only():
    user = UserFactory()
    laptop, phone = _two_devices(user)

    response = laptop.post("/profile/sessions/end-others/", follow=True)

    assert b"signed out on every other device" in response.content
    assert laptop.get("/profile/").status_code == 200
    assert phone.get("/profile/").status_code == 302
    assert phone.get("/api/v1/users/me/").status_code in (401, 403)


def test_log_out_other_devices_needs_a_post():
    user = UserFactory()
    laptop, phone = _two_devices(user)
    assert laptop.get("/profile/sessions/end-others/").status_code == 405
    assert phone.get("/profile/").status_code == 200


def test_a_password_change_ends_other_sessions_and_the_api_token():
    user = UserFactory()
    laptop, phone = _two_devices(user)
    token = api_token_issue(user=user)

    response = laptop.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a-brand-new-passphrase",
            "password2": "a-brand-new-passphrase",
        },
    )

    assert response.status_code == 302
    assert laptop.get("/profile/").status_code == 200
    assert phone.get("/profile/").status_code == 302
    assert not Token.objects.filter(key=token.key).exists()
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/users/me/").status_code == 401


def test_a_deactivated_trainee_loses_pages_tokens_and_sessions():
    user = UserFactory()
    laptop, phone = _two_devices(user)
    token = api_token_issue(user=user)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/users/me/").status_code == 200

    user_deactivate(user=user)

    assert laptop.get("/profile/").status_code == 302
    assert phone.get("/api/v1/users/me/").status_code in (401, 403)
    assert api.get("/api/v1/users/me/").status_code == 401
    assert not Token.objects.filter(user=user).exists()
    again = _browser(VICTIM_IP)
    response = _allauth_login(again, user.email, PASSWORD)
    assert response.status_code != 302 or response["Location"] == "/accounts/inactive/"
    assert not _signed_in(again)


def test_an_inactive_users_surviving_token_is_rejected_by_the_api():
    """Even a token left behind (user flagged inactive by other means) does not authenticate."""
    user = UserFactory()
    token = api_token_issue(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/users/me/").status_code == 401


def test_an_inactive_users_surviving_session_is_rejected_by_pages():
    user = UserFactory()
    browser = Client()
    browser.force_login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert browser.get("/profile/").status_code == 302


def test_the_admin_action_deactivates_and_signs_out(client, staff_user):
    trainee = UserFactory()
    trainee_browser = Client()
    trainee_browser.force_login(trainee)
    api_token_issue(user=trainee)
    client.force_login(staff_user)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "deactivate_users", "_selected_action": [trainee.pk, staff_user.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert b"1 user(s) deactivated" in response.content
    assert b"cannot deactivate yourself" in response.content
    trainee.refresh_from_db()
    staff_user.refresh_from_db()
    assert (trainee.is_active, staff_user.is_active) == (False, True)
    assert not Token.objects.filter(user=trainee).exists()
    assert trainee_browser.get("/profile/").status_code == 302


def test_unticking_active_in_the_admin_form_also_revokes_the_token(client, staff_user):
    trainee = UserFactory(email="leaver@example.com")
    api_token_issue(user=trainee)
    client.force_login(staff_user)
    change_url = f"/admin/accounts/user/{trainee.pk}/change/"
    form = client.get(change_url).context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in ("password", "groups", "user_permissions")
    }
    data.update({"is_active": "", "timezone": "UTC", "preferences": "{}"})
    data.pop("is_active")

    response = client.post(change_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    trainee.refresh_from_db()
    assert trainee.is_active is False
    assert not Token.objects.filter(user=trainee).exists()
