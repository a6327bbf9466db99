import io

import pytest
from django.core.management import call_command
from django.test import Client

from oral_history.models import AccessLevel, Interview, InterviewMedia


@pytest.mark.django_db
def test_demo_archive_has_open_restricted_and_embargoed_interviews_that_play(s3_endpoint):
    call_command("seed_demo", "--only", "accounts", "oral_history", stdout=io.StringIO())
    interviews = Interview.objects.all()
    assert interviews.count() == 5
    levels = set(interviews.values_list("access_level", flat=True))
    assert levels == {AccessLevel.OPEN, AccessLevel.REQUEST, AccessLevel.RESTRICTED,
                      AccessLevel.EMBARGO}  # fmt: skip
    assert all(i.transcript.cues.exists() and i.segments.exists() for i in interviews)
    redacted = InterviewMedia.objects.get(interview__accession_number="LHWS-2024-001")
    assert redacted.redacted_copy_status == "ready"
    client = Client()
    page = client.get(f"/memories/i/{redacted.interview_id}/").content.decode()
    assert "纺织厂的三十年" in page and "[已删节]" in page
    assert (
        client.get(f"/memories/i/{redacted.interview_id}/media/{redacted.pk}/").status_code == 302
    )
    results = client.get("/memories/search/", {"q": "劳动模范"}).content.decode()
    assert "纺织厂的三十年" in results
    # Running it again adds nothing.
    call_command("seed_demo", "--only", "oral_history", stdout=io.StringIO())
    assert Interview.objects.count() == 5
