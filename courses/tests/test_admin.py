"""Librarians upload lesson videos in the admin: checked by content, processed, captioned."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import roles
from booking.tests.factories import staff_member
from courses.models import LearningMedia
from media.tests import samples

pytestmark = pytest.mark.django_db

URL = "/admin/snippets/courses/learningmedia/add/"


def test_a_video_with_captions_is_stored_through_the_media_pipeline(client, tmp_path):
    client.force_login(staff_member(roles.LIBRARIAN_ADMIN))
    video = samples.ffmpeg_sample(tmp_path, "mp4")
    response = client.post(URL, {
        "title": "视频通话演示",
        "upload": SimpleUploadedFile("call.mp4", video.read_bytes()),
        "captions_file": SimpleUploadedFile("call.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\n"
                                            b"\xe4\xbd\xa0\xe5\xa5\xbd\n"),
        "transcript": "你好",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:1500]
    media = LearningMedia.objects.get()
    assert media.asset.kind == "video" and media.asset.original.visibility == "private"
    assert media.captions.content_type == "text/vtt"


@pytest.mark.parametrize(
    ("upload", "captions"),
    [
        (SimpleUploadedFile("call.mp4", b"<?php echo 1; ?>" * 50), None),
        (None, SimpleUploadedFile("bad.vtt", b"not webvtt")),
    ],
)
def test_wrong_files_are_refused_and_nothing_is_saved(client, tmp_path, upload, captions):
    client.force_login(staff_member(roles.LIBRARIAN_ADMIN))
    data = {"title": "坏文件", "transcript": ""}
    if upload is None:
        upload = SimpleUploadedFile("ok.m4a", samples.ffmpeg_sample(tmp_path, "m4a").read_bytes())
    data["upload"] = upload
    if captions is not None:
        data["captions_file"] = captions
    response = client.post(URL, data)
    assert response.status_code == 200
    assert not LearningMedia.objects.exists()
