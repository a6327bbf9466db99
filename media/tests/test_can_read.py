"""Who may read a stored file (media.selectors.can_read), decision by decision.

Every delivery path asks this one function; the delivery tests reach it through HTTP, these pin
each of its rules: public for all, private for the owner, holders of the permission, and
readers a registered policy lets in.
"""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from accounts.tests.factories import UserFactory
from media import access
from media.models import StoredFile, Visibility
from media.selectors import can_read

pytestmark = pytest.mark.django_db


def stored(owner=None, visibility=Visibility.PRIVATE) -> StoredFile:
    return StoredFile.objects.create(
        owner=owner,
        visibility=visibility,
        key=f"originals/{uuid.uuid4().hex}.bin",
        content_type="application/octet-stream",
        size=1,
        sha256="",
    )


@pytest.fixture
def no_policies(monkeypatch):
    policies: list = []
    monkeypatch.setattr(access, "_policies", policies)
    return policies


def test_a_public_file_is_readable_by_everyone(user, other_user, no_policies):
    public = stored(owner=user, visibility=Visibility.PUBLIC)
    assert can_read(user=AnonymousUser(), stored_file=public)
    assert can_read(user=other_user, stored_file=public)
    assert can_read(user=user, stored_file=public)
    assert can_read(user=AnonymousUser(), stored_file=stored(visibility=Visibility.PUBLIC))


def test_a_private_file_is_readable_by_its_owner_only(user, other_user, no_policies):
    private = stored(owner=user)
    assert can_read(user=user, stored_file=private)
    assert not can_read(user=other_user, stored_file=private)
    assert not can_read(user=AnonymousUser(), stored_file=private)


def test_a_private_file_without_an_owner_is_readable_by_nobody(user, no_policies):
    orphan = stored(owner=None)
    assert not can_read(user=user, stored_file=orphan)
    assert not can_read(user=AnonymousUser(), stored_file=orphan)


def test_the_permission_opens_every_private_file(user, other_user, no_policies):
    private = stored(owner=user)
    other_user.user_permissions.add(Permission.objects.get(codename="read_private_storedfile"))
    reloaded = type(other_user).objects.get(pk=other_user.pk)  # permissions are cached per object
    assert can_read(user=reloaded, stored_file=private)
    assert can_read(user=reloaded, stored_file=stored(owner=None))
    # Staff status alone is not the permission.
    assert not can_read(user=UserFactory(is_staff=True), stored_file=private)


def test_a_policy_opens_exactly_the_files_it_names(user, other_user, no_policies):
    shared, kept = stored(owner=user), stored(owner=user)
    asked = []

    def share_one(reader, stored_file):
        asked.append((reader, stored_file))
        return reader == other_user and stored_file == shared

    access.register(share_one)
    assert can_read(user=other_user, stored_file=shared)
    assert not can_read(user=other_user, stored_file=kept)
    assert asked == [(other_user, shared), (other_user, kept)]
    # The owner and the anonymous reader are decided before any policy is asked.
    assert can_read(user=user, stored_file=kept)
    assert not can_read(user=AnonymousUser(), stored_file=shared)
    assert asked == [(other_user, shared), (other_user, kept)]
