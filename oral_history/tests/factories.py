"""Archive records for tests: interviews with a transcript, index and a processed recording."""

from __future__ import annotations

import datetime as dt

import factory
from django.core.files.base import ContentFile

from accounts import roles
from booking.tests.factories import staff_member
from media import pipeline
from media.models import MediaAsset
from media.services import store_file
from media.tests import samples
from oral_history import services
from oral_history.models import (
    AccessLevel,
    AccessRequest,
    Collection,
    Interview,
    Narrator,
    Place,
)


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection
        django_get_or_create = ("slug",)

    name = "辽海往事"
    slug = "liaohai"


class NarratorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Narrator

    name = factory.Sequence(lambda n: f"受访人{n}")
    birth_year = 1945
    hometown = "沈阳"


class InterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interview
        skip_postgeneration_save = True

    accession_number = factory.Sequence(lambda n: f"T-{n:04d}")
    title = factory.Sequence(lambda n: f"访谈{n}")
    collection = factory.SubFactory(CollectionFactory)
    interview_date = dt.date(2024, 5, 1)
    duration_seconds = 60
    published = True
    access_level = AccessLevel.OPEN
    summary = "受访人回忆往事。"

    @factory.post_generation
    def narrators(self, create, extracted, **kwargs):
        if create:
            self.narrators.add(*(extracted or [NarratorFactory()]))


def archivist():
    return staff_member(roles.ARCHIVIST)


VTT = """WEBVTT

00:00:00.000 --> 00:00:08.000
<v 王丽>您还记得第一天进纺织厂是什么样子吗？

00:00:08.000 --> 00:00:16.000
<v 张桂兰>那是一九五八年秋天，我跟着同村的姐妹坐火车到沈阳。

00:00:16.000 --> 00:00:24.000
<v 张桂兰>车间里机器声音特别大，师傅手把手教我接线头。

00:00:24.000 --> 00:00:32.000
<v 张桂兰>家里的事情我不想多说，那是我姐姐的秘密。

00:00:32.000 --> 00:00:40.000
<v 张桂兰>后来评上了劳动模范，奖状还挂在家里。
"""


def with_content(interview: Interview, *, vtt: str = VTT, recording: bool = True, tmp_path=None):
    """Transcript, two index segments, a place and (optionally) a processed recording."""
    place, _ = Place.objects.get_or_create(
        name="沈阳", defaults={"latitude": "41.8057", "longitude": "123.4315"}
    )
    interview.places.add(place)
    factory_gps = [{"lat": 41.8, "lng": 123.4, "text": "纺织厂"}]
    interview.segments.create(start=0, title="进厂", synopsis="进入纺织厂",
                              keywords=["纺织厂"], partial_transcript="第一天进纺织厂",
                              gps_points=factory_gps)  # fmt: skip
    interview.segments.create(start=24, title="家事", synopsis="姐姐的往事",
                              partial_transcript="那是我姐姐的秘密")  # fmt: skip
    item = None
    if recording:
        item = attach_tone(interview, tmp_path)
    services.save_transcript(interview=interview, vtt=vtt, user=None)
    return item


def attach_tone(interview: Interview, tmp_path, *, seconds: float = 40):
    path = samples.ffmpeg_sample(tmp_path, "m4a", seconds=seconds)
    stored = store_file(content=ContentFile(path.read_bytes()), original_name="master.m4a",
                        content_type="audio/mp4", prefix="oral-history/masters")  # fmt: skip
    asset = MediaAsset.objects.create(original=stored, kind="audio", format="m4a")
    pipeline.run(asset.pk)
    return services.attach_recording(interview=interview, asset=asset)


def grant(interview: Interview, reader, *, days: int = 30, expired: bool = False):
    from django.utils import timezone

    until = timezone.now() + (dt.timedelta(days=-1) if expired else dt.timedelta(days=days))
    return AccessRequest.objects.create(
        interview=interview, reader=reader, purpose="研究", status=AccessRequest.Status.GRANTED,
        granted_until=until,
    )  # fmt: skip
