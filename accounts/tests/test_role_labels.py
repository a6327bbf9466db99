"""The profile names roles in words, in the reader's language (before: the group code "reader")."""

import re

import pytest

from accounts import roles, services


@pytest.mark.django_db
def test_the_profile_names_roles_in_chinese_and_in_english(client, user):
    services.assign_role(user=user, role=roles.MAKER)
    client.force_login(user)
    line = re.search(r"角色：([^<]*)", client.get("/accounts/profile/").content.decode())
    assert line and "创客" in line.group(1)
    assert "maker" not in line.group(1)
    user.language = "en"
    user.save(update_fields=["language"])
    line = re.search(r"Roles:([^<]*)", client.get("/accounts/profile/").content.decode())
    assert line and "Maker" in line.group(1) and "maker" not in line.group(1)
