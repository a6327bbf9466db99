import io

import pytest
from django.core.management import call_command

from ugc.models import Work, WorkState


@pytest.mark.django_db
def test_demo_works_cover_every_kind_and_state(s3_endpoint):
    call_command("seed_demo", stdout=io.StringIO())
    # The maker-space demo adds one studio recording of its own; these are the uploads.
    uploaded = Work.objects.filter(studio_job__isnull=True)
    assert uploaded.count() == 60
    for kind in ("video", "audio", "image", "document", "model"):
        works = uploaded.filter(kind=kind)
        assert works.filter(state=WorkState.PUBLISHED).count() == 7
        assert works.filter(state=WorkState.PENDING_REVIEW).count() == 2
        assert all(work.asset.status == "ready" for work in works)
    # Running it again adds nothing.
    call_command("seed_demo", stdout=io.StringIO())
    assert Work.objects.count() == 61
