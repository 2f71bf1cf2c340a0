"""The mail settings: BILLING_SMTP_URL read into host, port, TLS and login,
the password kept out of every repr, message and error; BILLING_NOTICES
checked against the kinds of message there are."""

from __future__ import annotations

import pytest

import settings
from settings import SettingsError


def _smtp(url: str):
    return settings.current({"BILLING_SMTP_URL": url}).smtp


def test_no_smtp_url_means_eml_files_in_the_outbox_folder():
    config = settings.current({})
    assert config.smtp is None and config.outbox_dir.name == "outbox"
    assert settings.current({"BILLING_OUTBOX_DIR": "/tmp/mail"}).outbox_dir.as_posix() == "/tmp/mail"


def test_starttls_on_the_submission_port_with_a_login():
    server = _smtp("smtp://mailer:s%40cret@mail.example:587?starttls=1")
    assert (server.host, server.port, server.starttls, server.implicit_tls) == ("mail.example", 587, True, False)
    assert (server.username, server.password) == ("mailer", "s@cret")


def test_smtps_is_implicit_tls_on_465_by_default():
    server = _smtp("smtps://mailer:pw@mail.example")
    assert (server.port, server.implicit_tls, server.starttls) == (465, True, False)


def test_plain_smtp_without_login_defaults_to_port_25():
    server = _smtp("smtp://relay.internal")
    assert (server.port, server.username, server.password) == (25, None, None)


def test_the_password_is_in_no_repr_and_no_str():
    config = settings.current({"BILLING_SMTP_URL": "smtp://mailer:hunter2-secret@mail.example:587?starttls=1"})
    for text in (repr(config), str(config), repr(config.smtp), str(config.smtp)):
        assert "hunter2-secret" not in text
    assert str(config.smtp) == "smtp://mailer:***@mail.example:587?starttls=1"


@pytest.mark.parametrize("url", [
    "ftp://mailer:hunter2-secret@mail.example", "smtp://mailer:hunter2-secret@mail.example:notaport",
    "smtp://mailer:hunter2-secret@mail.example?starttls=maybe", "smtps://mailer:hunter2-secret@mail.example?starttls=1",
    "smtp://mailer:hunter2-secret@",
])
def test_a_bad_smtp_url_is_refused_without_echoing_the_password(url):
    with pytest.raises(SettingsError) as refused:
        _smtp(url)
    assert "BILLING_SMTP_URL" in str(refused.value) and "hunter2-secret" not in str(refused.value)


def test_the_notices_are_all_none_or_a_list_of_known_kinds():
    assert settings.current({}).notices == frozenset(settings.MESSAGE_KINDS)
    assert settings.current({"BILLING_NOTICES": "none"}).notices == frozenset()
    assert settings.current({"BILLING_NOTICES": "overdue, restricted"}).notices == {"overdue", "restricted"}
    with pytest.raises(SettingsError, match="reminders not known"):
        settings.current({"BILLING_NOTICES": "overdue,reminders"})


def test_the_sender_must_be_an_address():
    assert settings.current({"BILLING_SMTP_FROM": "Billing <b@example.com>"}).smtp_from == "Billing <b@example.com>"
    with pytest.raises(SettingsError, match="BILLING_SMTP_FROM"):
        settings.current({"BILLING_SMTP_FROM": "nobody"})
