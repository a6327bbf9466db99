"""Demo learning content: three paths (seniors' smartphones, office software for job seekers,
first steps in programming for teens), courses with lessons of several block types, badges,
a captioned video processed by the real media pipeline, and an in-person class."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from PIL import Image as PillowImage
from PIL import ImageDraw
from wagtail.models import Page, Site

from media import pipeline
from media.models import MediaAsset
from media.processing import ffmpeg
from media.services import store_file

from .models import (
    BadgeClass,
    CoursePage,
    LearningIndexPage,
    LearningMedia,
    LearningPathPage,
    LessonPage,
    ModulePage,
    PathCourse,
    Topic,
)

RESUME = "<p>用标题样式写姓名，用项目符号列出工作经历。完成后点“我已完成本课”。</p>"
LOOPS = "<p>“重复执行”积木可以让动作做很多次。</p>"
CAPTIONS = """WEBVTT

00:00.000 --> 00:02.000
先点开微信，找到要通话的家人。

00:02.000 --> 00:04.000
点右下角的“+”，选择“视频通话”。
"""


def _quiz(title: str, questions: list[tuple[str, list[str], int, str]]) -> dict:
    return {
        "title": title,
        "questions": [
            {"prompt": prompt, "kind": "single", "explanation": explanation,
             "choices": [{"text": text, "correct": n == right} for n, text in enumerate(choices)]}
            for prompt, choices, right, explanation in questions
        ],
    }  # fmt: skip


def _badge(slug: str, name: str, colour: tuple[int, int, int]) -> BadgeClass:
    from wagtail.images.models import Image

    existing = BadgeClass.objects.filter(slug=slug).first()
    if existing:
        return existing
    picture = PillowImage.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((8, 8, 248, 248), fill=(*colour, 255), outline=(255, 215, 0, 255), width=10)
    data = io.BytesIO()
    picture.save(data, format="PNG")
    image = Image.objects.create(title=name, file=ImageFile(data, name=f"badge-{slug}.png"))
    return BadgeClass.objects.create(slug=slug, name=name, description=f"完成“{name}”课程",
                                     criteria="完成课程的全部必修课", image=image)  # fmt: skip


def _video() -> LearningMedia:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "call.mp4"
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=15:duration=4", "-f", "lavfi",
               "-i", "sine=frequency=330:duration=4", "-c:v", "libx264", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-shortest", str(path))  # fmt: skip
        stored = store_file(content=ContentFile(path.read_bytes()), original_name="call.mp4",
                            content_type="video/mp4", prefix="learning/media")  # fmt: skip
    asset = MediaAsset.objects.create(original=stored, kind="video", format="mp4")
    pipeline.run(asset.pk)
    captions = store_file(content=ContentFile(CAPTIONS.encode()), original_name="call.vtt",
                          content_type="text/vtt", prefix="learning/captions")  # fmt: skip
    return LearningMedia.objects.create(
        title="微信视频通话演示", asset=asset, captions=captions,
        transcript="先点开微信，找到要通话的家人。点右下角的“+”，选择“视频通话”。",
    )  # fmt: skip


def _publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def _course(index, *, title, slug, intro, badge, topics, modules) -> CoursePage:
    course = _publish(index, CoursePage(title=title, slug=slug, introduction=intro,
                                        estimated_hours=2, badge=badge, points=20))  # fmt: skip
    course.topics.set(topics)
    course.save_revision().publish()
    for m, (module_title, lessons) in enumerate(modules, start=1):
        module = _publish(course, ModulePage(title=module_title, slug=f"m{m}"))
        for n, (lesson_title, criterion, body, extra) in enumerate(lessons, start=1):
            _publish(module, LessonPage(title=lesson_title, slug=f"l{n}", criterion=criterion,
                                        body=body, **extra))  # fmt: skip
    return course


def _index() -> LearningIndexPage:
    site = Site.objects.get(is_default_site=True)
    home = site.root_page
    old = home.get_children().filter(slug="learn").first()
    if old is not None and not isinstance(old.specific, LearningIndexPage):
        old.slug = "about-learning"  # an earlier demo's plain page at this address
        old.save()
    return _publish(home, LearningIndexPage(
        title="全民自主学习", slug="learn",
        introduction="按人群和阶段分类的学习路径：从智能手机入门到办公软件、编程启蒙。",
    ))  # fmt: skip


H5P_TITLE = "识别诈骗短信（互动练习）"


def _h5p_lesson() -> str:
    """An H5P activity of our own content type (H5P.LiaotuChoice) in a lesson of the smartphone
    course, built from source and installed like an administrator's upload; added to earlier
    demos too."""
    from .h5p import build
    from .h5p import services as h5p
    from .models import H5PContent

    module = (
        ModulePage.objects.filter(slug="m1")
        .descendant_of(
            CoursePage.objects.filter(slug="smartphone-basics").first()
            or Page.get_first_root_node()
        )
        .first()
    )
    if module is None or LessonPage.objects.child_of(module).filter(slug="h5p").exists():
        return "H5P lesson already present"
    content = H5PContent.objects.filter(title=H5P_TITLE).first()
    if content is None:
        package = build.build_package(
            title=H5P_TITLE,
            question="收到短信：“您的快递丢失，点击链接填写银行卡即可理赔。”您应该怎么做？",
            answers=[
                build.Answer("点开链接，按提示填写", feedback="这是常见的诈骗短信，不要点链接。"),
                build.Answer(
                    "不点链接，打快递公司官方电话核实",
                    correct=True,
                    feedback="做得对！遇到可疑短信，用官方电话核实。",
                ),
                build.Answer(
                    "把收到的验证码发给对方", feedback="验证码只给自己用，不要告诉任何人。"
                ),
            ],
            language="zh-hans",
        )
        content = h5p.install(source=io.BytesIO(package), user=None)
    _publish(module, LessonPage(
        title="识别诈骗短信", slug="h5p", criterion="score", threshold=100, required=False,
        body=[("paragraph", "<p>看看这条短信，选出正确的做法。</p>"),
              ("h5p", {"activity": content})],
    ))  # fmt: skip
    return "1 H5P activity in a lesson"


def seed() -> list[str]:
    if LearningIndexPage.objects.exists():
        return [f"{CoursePage.objects.count()} courses already present", _h5p_lesson()]
    index = _index()
    digital = Topic.objects.get_or_create(slug="digital-literacy", defaults={"name": "数字素养"})[0]
    office = Topic.objects.get_or_create(slug="office", defaults={"name": "办公软件"})[0]
    coding = Topic.objects.get_or_create(slug="coding", defaults={"name": "编程"})[0]
    video = _video()
    from booking.models import Event

    session = Event.objects.filter(title__contains="智能手机").order_by("starts_at").first()
    phone_lessons = [
        ("认识智能手机", "viewed", [
            ("paragraph", "<p>智能手机的屏幕上有许多小图标，每个图标是一个<b>应用程序</b>。"
                          "轻点一下就能打开。</p>"),
            ("link", {"url": "https://www.gov.cn/", "title": "中国政府网",
                      "description": "可以在手机浏览器里打开看看"}),
        ], {}),
        ("和家人视频通话", "watched", [
            ("paragraph", "<p>跟着视频学习用微信和家人视频通话。</p>"),
            ("media", {"media": video, "caption": "微信视频通话演示（带字幕）"}),
        ], {}),
        ("防范电信诈骗", "score", [
            ("paragraph", "<p>不要把验证码告诉任何人，银行和公安不会通过电话要求转账。</p>"),
            ("quiz", _quiz("防诈骗小测验", [
                ("陌生人打电话说您的银行卡有风险，要求转账到“安全账户”，您应该？",
                 ["马上转账", "挂断电话，拨打 110 或银行官方电话核实"], 1,
                 "“安全账户”都是骗局。"),
                ("验证码可以告诉自称客服的人吗？", ["可以", "不可以"], 1, "验证码只给自己用。"),
            ])),
        ], {"threshold": 100}),
    ]  # fmt: skip
    if session is not None:
        phone_lessons[0][2].append(("session", {"event": session, "note": "馆内老师手把手教"}))
    phone = _course(index, title="智能手机入门", slug="smartphone-basics",
                    intro="从开机、打电话到视频通话和防诈骗，一步一步学会用智能手机。",
                    badge=_badge("smartphone", "智能手机入门", (138, 28, 28)), topics=[digital],
                    modules=[("第一单元 基本操作", phone_lessons)])  # fmt: skip
    word = _course(index, title="文字处理入门", slug="word-basics",
                   intro="用文字处理软件写一份简历：排版、字体、保存为 PDF。",
                   badge=_badge("word", "文字处理入门", (20, 90, 140)), topics=[office],
                   modules=[("第一单元 写简历", [
                       ("新建文档与保存", "viewed", [("paragraph",
                        "<p>打开软件，选择“新建空白文档”，写好后按 Ctrl+S 保存。</p>")], {}),
                       ("简历排版", "manual", [("paragraph", RESUME)], {}),
                   ])])  # fmt: skip
    scratch = _course(index, title="图形化编程第一课", slug="coding-first-steps",
                      intro="用积木块让小猫动起来：顺序、循环和条件。",
                      badge=_badge("coding", "编程启蒙", (30, 120, 60)), topics=[coding],
                      modules=[("第一单元 让角色动起来", [
                          ("什么是程序", "viewed", [("paragraph",
                           "<p>程序就是一步一步的指令。计算机按顺序执行它们。</p>")], {}),
                          ("循环", "score", [("paragraph", LOOPS),
                           ("quiz", _quiz("循环小测验", [
                               ("让小猫走 10 步重复 5 次，一共走了多少步？", ["15", "50", "10"], 1,
                                "10 × 5 = 50。"),
                           ]))], {"threshold": 100}),
                      ])])  # fmt: skip
    paths = [
        ("老年人智能手机入门", "seniors-smartphone", ["senior"], "intro", [phone],
         "为老年读者设计：大字、慢节奏，学会视频通话和防诈骗。"),
        ("求职者办公软件", "jobseekers-office", ["job_seeker", "migrant_worker"], "intro",
         [phone, word], "求职必备的电脑技能：写简历、收发邮件。"),
        ("青少年编程启蒙", "teens-coding", ["teen", "child"], "intro", [scratch],
         "用图形化编程培养计算思维。"),
    ]  # fmt: skip
    for title, slug, audiences, stage, courses, intro in paths:
        path = LearningPathPage(title=title, slug=slug, audiences=audiences, stage=stage,
                                introduction=intro, estimated_hours=2 * len(courses))  # fmt: skip
        for position, course in enumerate(courses):
            path.path_courses.add(PathCourse(course=course, sort_order=position))
        _publish(index, path)
    word.prerequisites.set([phone])
    word.save_revision().publish()
    h5p_note = _h5p_lesson()
    return [
        f"3 paths, {CoursePage.objects.count()} courses, {LessonPage.objects.count()} lessons",
        h5p_note,
    ]
