"""Issue 17 §5: sign-up does not tell a stranger which addresses have an account.

allauth can hide it only while a new account waits for its address to be confirmed: a taken
address then gets the same "check your inbox" answer as a new one, and its owner an e-mail.
Production (DJANGO_DEBUG=false) confirms addresses for that reason; `make run` keeps the
instant sign-up of a demo."""

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSPHRASE = "a-long-unusual-passphrase"


def sign_up(email: str):
    data = {
        "email": email,
        "public_name": "Someone",
        "password1": PASSPHRASE,
        "password2": PASSPHRASE,
    }
    return Client().post("/accounts/signup/", data, follow=True)


@pytest.fixture
def production_sign_up(settings, production_settings):
    for name in ("ACCOUNT_EMAIL_VERIFICATION", "ACCOUNT_PREVENT_ENUMERATION"):
        setattr(settings, name, production_settings.get(name, True))


@pytest.mark.usefixtures("production_sign_up")
def test_signing_up_with_a_taken_address_answers_as_for_a_new_one(user, mailoutbox):
    taken = sign_up(user.email.upper())
    new = sign_up("someone.new@example.com")

    assert taken.status_code == new.status_code == 200
    assert taken.redirect_chain == new.redirect_chain == [("/accounts/confirm-email/", 302)]
    page = taken.content.decode().lower()
    assert "already" not in page
    assert "registered" not in page
    assert User.objects.filter(email__iexact=user.email).count() == 1
    # The owner hears about it instead, in their own inbox.
    [owner_mail] = [mail for mail in mailoutbox if mail.to == [user.email]]
    assert "already exists" in owner_mail.subject.lower()


def test_production_confirms_addresses_and_prevents_enumeration(production_settings):
    assert production_settings["ACCOUNT_EMAIL_VERIFICATION"] == "mandatory"
    # Not "strict": it lets the sign-up through to a second account with the same address,
    # which the unique email column refuses with a 500.
    assert production_settings["ACCOUNT_PREVENT_ENUMERATION"] is True


def test_password_reset_answers_alike_for_known_and_unknown_addresses(user, mailoutbox):
    known = Client().post("/accounts/password/reset/", {"email": user.email}, follow=True)
    unknown = Client().post(
        "/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True
    )
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain != []
    # Each inbox learns what it needs (a reset link, or that there is no account there).
    assert [mail.to for mail in mailoutbox] == [[user.email], ["nobody@example.com"]]
