"""A staff member's first sign-in ends on the recovery-codes page; from there they go on to the
page they were going to (before: the page was a dead end and the destination was lost)."""

import re
from urllib.parse import urlsplit

import pytest

from accounts import roles, services
from accounts.tests.factories import sign_in
from accounts.tests.test_mfa import enrol_totp


@pytest.mark.django_db
def test_first_staff_sign_in_continues_to_where_it_was_going(client, user, demo_site):
    services.assign_role(user=user, role=roles.LIBRARIAN_ADMIN)
    assert sign_in(client, user.email)
    response = client.get("/admin/pages/?ordering=title")
    assert response["Location"] == "/accounts/2fa/totp/activate/"

    enrol_totp(client)
    codes = client.get("/accounts/2fa/recovery-codes/")
    html = codes.content.decode()
    assert codes.status_code == 200
    assert 'href="/admin/pages/?ordering=title" data-after-mfa' in html
    assert "我已保存恢复码，继续" in html

    # Following the link arrives, and the way on is forgotten once used.
    assert client.get("/admin/pages/?ordering=title").status_code == 200
    html = client.get("/accounts/2fa/recovery-codes/").content.decode()
    assert 'href="/admin/" data-after-mfa' in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["//evil.example/admin/", "/\\evil.example/admin/"])
def test_a_path_that_reads_as_another_host_is_not_kept_for_the_continue_link(
    client, user, demo_site, path
):
    services.assign_role(user=user, role=roles.LIBRARIAN_ADMIN)
    assert sign_in(client, user.email)
    client.get(path)
    enrol_totp(client)
    html = client.get("/accounts/2fa/recovery-codes/").content.decode()
    href = re.search(r'href="([^"]*)" data-after-mfa', html).group(1)
    # Either dropped, or kept as a path that a browser can only read as one on this site.
    assert href.startswith("/") and not href.startswith("//") and "\\" not in href
    assert urlsplit(href).netloc == ""
