"""A reader without a display name appears under a stable pseudonym next to their works and
comments, never under their e-mail address."""

import pytest
from django.test import Client

from accounts import roles
from accounts import services as account_services
from accounts.tests.factories import UserFactory
from ugc import services
from ugc.tests.factories import make_work

pytestmark = pytest.mark.django_db


def test_works_and_comments_never_show_an_email_address(s3_endpoint):
    moderator = UserFactory()
    account_services.assign_role(user=moderator, role=roles.MODERATOR)
    shy = UserFactory(email="shy.reader@example.org", display_name="")
    named = UserFactory(display_name="李明")
    work = make_work(shy, title="河边的早晨")
    services.submit_for_review(work=work, user=shy)
    services.approve(work=work, moderator=moderator)
    services.add_comment(work=work, author=shy, body="谢谢大家")
    services.add_comment(work=work, author=named, body="拍得好")
    visitor = Client()
    pages = [f"/works/{work.pk}/", "/works/", f"/works/people/{shy.pk}/", "/"]
    pseudonym = shy.public_name
    assert pseudonym.startswith("读者 ") and len(pseudonym) == len("读者 ") + 6
    assert UserFactory.build(pk=shy.pk, display_name="").public_name == pseudonym  # stable
    for path in pages:
        html = visitor.get(path).content.decode()
        assert "shy.reader" not in html and "example.org" not in html, path
    assert pseudonym in visitor.get(f"/works/{work.pk}/").content.decode()
    assert "李明" in visitor.get(f"/works/{work.pk}/").content.decode()
