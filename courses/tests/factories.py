"""A small course in the page tree: a learning centre, a course with one module and lessons
of each completion criterion, a badge, a path; and helpers to publish more."""

from __future__ import annotations

import io
import uuid

from django.core.files.images import ImageFile
from PIL import Image as PillowImage
from wagtail.images.models import Image
from wagtail.models import Page, Site

from courses.models import (
    BadgeClass,
    CoursePage,
    LearningIndexPage,
    LearningPathPage,
    LessonPage,
    ModulePage,
    PathCourse,
)

QUIZ = {
    "title": "小测验",
    "questions": [
        {
            "prompt": "微信视频通话在哪里打开？",
            "kind": "single",
            "explanation": "在聊天窗口的“+”里。",
            "choices": [
                {"text": "聊天窗口的“+”", "correct": True},
                {"text": "设置", "correct": False},
            ],
        },
        {
            "prompt": "陌生人索要验证码时应该告诉他。",
            "kind": "true_false",
            "explanation": "",
            "choices": [{"text": "对", "correct": False}, {"text": "错", "correct": True}],
        },
    ],
}


def _root():
    site = Site.objects.filter(is_default_site=True).first()
    return site.root_page if site else Page.get_first_root_node()


def learning_index() -> LearningIndexPage:
    index = LearningIndexPage.objects.first()
    if index is None:
        index = LearningIndexPage(
            title="学习中心", slug="learn-centre", introduction="全民自主学习"
        )
        _root().add_child(instance=index)
        index.save_revision().publish()
    return index


def badge(slug: str = "smartphone") -> BadgeClass:
    picture = io.BytesIO()
    PillowImage.new("RGBA", (64, 64), (138, 28, 28, 255)).save(picture, format="PNG")
    image = Image.objects.create(title="徽章", file=ImageFile(picture, name=f"{slug}.png"))
    return BadgeClass.objects.create(
        slug=slug,
        name="智能手机入门",
        description="完成智能手机入门课程",
        criteria="完成课程的全部必修课",
        image=image,
    )


def publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()  # publishing works on a copy; read back first_published_at etc.
    return page


def course(*, title: str = "智能手机入门", lessons=None, **fields) -> CoursePage:
    """A course with one module and the given lessons: (title, criterion, body, extra)."""
    created = publish(
        learning_index(),
        CoursePage(
            title=title,
            slug=f"c-{uuid.uuid4().hex[:8]}",
            introduction="从零开始使用智能手机。",
            **fields,
        ),
    )
    module = publish(created, ModulePage(title="第一单元", slug="m1"))
    for n, (lesson_title, criterion, body, extra) in enumerate(lessons or default_lessons()):
        publish(
            module,
            LessonPage(title=lesson_title, slug=f"l{n}", criterion=criterion, body=body, **extra),
        )
    return created


def default_lessons():
    return [
        ("认识手机", "viewed", [("paragraph", "<p>手机屏幕上的图标叫应用程序。</p>")], {}),
        (
            "视频通话",
            "score",
            [("paragraph", "<p>和家人视频通话。</p>"), ("quiz", QUIZ)],
            {"threshold": 100},
        ),
    ]


def lessons_of(course_page: CoursePage) -> list[LessonPage]:
    return list(LessonPage.objects.live().descendant_of(course_page).order_by("path"))


def path_with(*courses: CoursePage, audiences=("senior",)) -> LearningPathPage:
    path = LearningPathPage(
        title="老年人智能手机入门",
        slug=f"p-{uuid.uuid4().hex[:8]}",
        introduction="为老年读者设计。",
        stage="intro",
        audiences=list(audiences),
    )
    for position, item in enumerate(courses):
        path.path_courses.add(PathCourse(course=item, sort_order=position))
    return publish(learning_index(), path)
