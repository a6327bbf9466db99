import io

import pytest
from django.core.management import call_command
from django.test import Client

from courses.models import CoursePage, LearningPathPage, LessonPage


@pytest.mark.django_db
def test_demo_paths_have_lessons_of_several_kinds_and_render(s3_endpoint):
    call_command(
        "seed_demo", "--only", "accounts", "cms", "booking", "courses", stdout=io.StringIO()
    )
    titles = set(LearningPathPage.objects.values_list("title", flat=True))
    assert titles == {"老年人智能手机入门", "求职者办公软件", "青少年编程启蒙"}
    kinds = {block.block_type for lesson in LessonPage.objects.all() for block in lesson.body}
    assert {"paragraph", "media", "quiz", "link", "session", "h5p"} <= kinds
    client = Client()
    assert "老年人智能手机入门" in client.get("/learn/").content.decode()
    for page in [
        *LearningPathPage.objects.all(),
        *CoursePage.objects.all(),
        *LessonPage.objects.all(),
    ]:
        assert client.get(page.url).status_code == 200, page.url
    video = client.get("/learn/smartphone-basics/m1/l2/").content.decode()
    assert "<track" in video
    h5p_lesson = client.get("/learn/smartphone-basics/m1/h5p/").content.decode()
    assert "data-h5p-player" in h5p_lesson
    call_command("seed_demo", "--only", "courses", stdout=io.StringIO())
    assert CoursePage.objects.count() == 3
    assert LessonPage.objects.filter(slug="h5p").count() == 1
