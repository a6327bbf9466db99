"""The public only ever gets processed derivatives; an owner downloads their original, as an
attachment from the user-content origin, with its GPS and trailing bytes as they uploaded it."""

import pytest

from media.tests import samples
from media.tests.usercontent import follow
from ugc.tests.factories import make_work

pytestmark = pytest.mark.django_db


def test_the_owner_downloads_the_original_as_an_attachment(client, user, other_user, s3_endpoint):
    photo = samples.image_bytes("png", size=(400, 300))
    work = make_work(user, data=photo)
    client.force_login(user)
    page = client.get(f"/works/{work.pk}/").content.decode()
    link = f'href="/files/{work.asset.original_id}/?download=1"'
    assert link in page and "data-original-download" in page
    _redirect, answer = follow(client, f"/files/{work.asset.original_id}/?download=1")
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment;")
    assert answer["X-Content-Type-Options"] == "nosniff"

    client.force_login(other_user)
    assert "data-original-download" not in client.get(f"/works/{work.pk}/").content.decode()
    assert client.get(f"/files/{work.asset.original_id}/?download=1").status_code == 404
