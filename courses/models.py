"""全民自主学习平台: learning paths, courses, modules and lessons as Wagtail pages, and what
each learner did with them.

Paths refer to courses (a course can serve several audiences) while modules and lessons live
under their course in the page tree. Progress rows are written only by ``services.py``, which
makes every event idempotent and every completion happen once.
"""

from __future__ import annotations

import uuid
from functools import cached_property

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from accounts.models import AudienceGroup
from core.pages import QuickServe

from .blocks import LessonBlock
from .panels import BrowserScoredLessonsPanel


class Stage(models.TextChoices):
    INTRO = "intro", _("Beginner")
    ADVANCED = "advanced", _("Intermediate")
    IMPROVE = "improve", _("Advanced")


class Topic(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), unique=True, allow_unicode=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LearningMedia(models.Model):
    """A video or audio for lessons, processed by the media pipeline, with captions."""

    title = models.CharField(_("title"), max_length=200)
    asset = models.ForeignKey(
        "media.MediaAsset",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("media file"),
    )
    captions = models.ForeignKey(
        "media.StoredFile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("captions"),
    )
    transcript = models.TextField(_("transcript"), blank=True)

    class Meta:
        verbose_name = _("learning video or audio")
        verbose_name_plural = _("learning videos and audio")

    def __str__(self) -> str:
        return self.title


class LearningIndexPage(QuickServe, Page):
    introduction = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    subpage_types = ["courses.LearningPathPage", "courses.CoursePage", "courses.H5PPage"]
    max_count = 1
    template = "courses/learning_index.html"

    class Meta:
        verbose_name = _("learning centre")

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        context["continue_learning"] = selectors.continue_learning(request.user)
        context["recommended"] = selectors.recommended_paths(request.user)
        context["by_audience"] = selectors.paths_by_audience()
        return context


class LearningPathPage(QuickServe, Page):
    audiences = ArrayField(
        models.CharField(max_length=20, choices=AudienceGroup.choices),
        verbose_name=_("audiences"),
        default=list,
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    introduction = models.TextField(_("introduction"))
    estimated_hours = models.PositiveSmallIntegerField(_("estimated hours"), default=1)
    topics = ParentalManyToManyField(Topic, verbose_name=_("topics"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        FieldRowPanel([FieldPanel("stage"), FieldPanel("estimated_hours")]),
        FieldPanel("audiences"),
        FieldPanel("topics"),
        InlinePanel("path_courses", label=_("Courses, in order"), min_num=1),
    ]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]
    parent_page_types = ["courses.LearningIndexPage"]
    subpage_types: list[str] = []
    template = "courses/path.html"

    class Meta:
        verbose_name = _("learning path")

    # A long path lists its courses a page at a time.
    COURSES_PER_PAGE = 20

    def courses(self) -> list[CoursePage]:
        """The path's courses in its order, in one query however many there are."""
        order = list(self.path_courses.values_list("course_id", flat=True))
        found = CoursePage.objects.in_bulk(order)
        return [found[pk] for pk in order if pk in found]

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator

        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        user = request.user
        labels = dict(AudienceGroup.choices)
        context["audience_labels"] = [labels.get(a, a) for a in self.audiences]
        courses = self.courses()
        page = Paginator(courses, self.COURSES_PER_PAGE).get_page(request.GET.get("page"))
        progress = selectors.courses_progress(user=user, courses=list(page))
        context["courses"] = [(course, progress[course.pk]) for course in page]
        context["courses_page"] = page
        context["progress"] = selectors.path_progress_of(user=user, courses=courses)
        context["subscribed"] = (
            user.is_authenticated and Subscription.objects.filter(user=user, path=self).exists()
        )
        return context


class PathCourse(Orderable):
    path = ParentalKey(LearningPathPage, on_delete=models.CASCADE, related_name="path_courses")
    course = models.ForeignKey(
        "courses.CoursePage", verbose_name=_("course"), on_delete=models.CASCADE, related_name="+"
    )

    panels = [FieldPanel("course")]


class CoursePage(QuickServe, Page):
    class Rule(models.TextChoices):
        ALL_REQUIRED = "all", _("All required lessons")
        PERCENTAGE = "percentage", _("A percentage of the lessons")

    introduction = models.TextField(_("introduction"))
    estimated_hours = models.PositiveSmallIntegerField(_("estimated hours"), default=1)
    topics = ParentalManyToManyField(Topic, verbose_name=_("topics"), blank=True)
    prerequisites = ParentalManyToManyField(
        "self", verbose_name=_("prerequisites"), blank=True, symmetrical=False
    )
    completion_rule = models.CharField(
        _("completed when"), max_length=12, choices=Rule.choices, default=Rule.ALL_REQUIRED
    )
    completion_percentage = models.PositiveSmallIntegerField(_("percentage of lessons"), default=80)
    points = models.PositiveSmallIntegerField(_("points for completing"), default=10)
    badge = models.ForeignKey(
        "courses.BadgeClass",
        verbose_name=_("badge"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="courses",
    )
    certificate = models.BooleanField(_("certificate of completion"), default=True)

    class ScoreSource(models.TextChoices):
        ANY = "any", _("Quizzes and H5P activities (H5P scores are reported by the browser)")
        SERVER = "server", _("Only quizzes marked on the server")

    # H5P scores are computed in the learner's browser and can be forged; a course whose badge or
    # certificate must mean something can count only the quizzes our server marks.
    score_source = models.CharField(
        _("scores that complete lessons"),
        max_length=8,
        choices=ScoreSource.choices,
        default=ScoreSource.ANY,
        help_text=_(
            "For lessons completed by a score. With “only quizzes”, an H5P score still shows "
            "the learner how they did but does not complete the lesson."
        ),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        FieldPanel("estimated_hours"),
        FieldPanel("topics"),
        FieldPanel("prerequisites"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("completion_rule"), FieldPanel("completion_percentage")]),
                FieldRowPanel(
                    [FieldPanel("points"), FieldPanel("badge"), FieldPanel("certificate")]
                ),
                FieldPanel("score_source"),
                BrowserScoredLessonsPanel(),
            ],
            heading=_("Completion and rewards"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]
    parent_page_types = ["courses.LearningIndexPage"]
    subpage_types = ["courses.ModulePage"]
    template = "courses/course.html"

    class Meta:
        verbose_name = _("course")

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        user = request.user
        outline = selectors.course_outline(self, preview=getattr(request, "is_preview", False))
        lessons = outline.lessons
        topics = [Topic(pk=pk, name=name) for pk, name in outline.topics]
        context.update(
            prerequisites=outline.prerequisites,
            topics=topics,
            followed_topics=set(),
            badge_name=outline.badge_name,
        )
        if not user.is_authenticated:
            context["modules"] = [
                (title, [(lesson, False) for lesson in items]) for title, items in outline.modules
            ]
            return context
        # The reader's own: one query, whatever the course's or the record's size.
        state = selectors.learner_state(user)
        finished = {lesson.pk for lesson in lessons if lesson.pk in state.lessons_done}
        enrolments = {
            course.pk: state.enrolments[course.pk]
            for course in outline.prerequisites
            if state.enrolments.get(course.pk)
        }
        if self.pk in state.enrolments:
            enrolments[self.pk] = state.enrolments[self.pk]
        context["followed_topics"] = set(state.topics_followed)
        context["modules"] = [
            (title, [(lesson, lesson.pk in finished) for lesson in items])
            for title, items in outline.modules
        ]
        enrolled = self.pk in enrolments
        context["enrolment"] = enrolled
        context["progress"] = selectors.CourseProgress(
            len(finished), len(lessons), bool(enrolments.get(self.pk))
        )
        context["missing"] = [c for c in outline.prerequisites if c.pk not in enrolments]
        context["resume"] = next((le for le in lessons if le.pk not in finished), None)
        return context


class ModulePage(QuickServe, Page):
    introduction = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = ["courses.LessonPage"]
    template = "courses/module.html"

    class Meta:
        verbose_name = _("module")


class LessonPage(QuickServe, Page):
    class Criterion(models.TextChoices):
        VIEWED = "viewed", _("Viewed")
        WATCHED = "watched", _("Watched at least 90 percent of the video or audio")
        SCORE = "score", _("Quiz or H5P score at least the threshold")
        MANUAL = "manual", _("Marked done by the learner")

    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = StreamField(LessonBlock(), verbose_name=_("body"), use_json_field=True)
    criterion = models.CharField(
        _("completed when"), max_length=10, choices=Criterion.choices, default=Criterion.VIEWED
    )
    threshold = models.PositiveSmallIntegerField(
        _("score threshold (%)"), default=60, help_text=_("For the score criterion.")
    )
    required = models.BooleanField(_("required for the course"), default=True)
    estimated_minutes = models.PositiveSmallIntegerField(_("estimated minutes"), default=10)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("criterion"), FieldPanel("threshold")]),
                FieldRowPanel([FieldPanel("required"), FieldPanel("estimated_minutes")]),
            ],
            heading=_("Completion"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["courses.ModulePage"]
    subpage_types: list[str] = []
    template = "courses/lesson.html"

    class Meta:
        verbose_name = _("lesson")

    @cached_property
    def course(self) -> CoursePage:
        return CoursePage.objects.ancestor_of(self).first()

    @property
    def has_h5p(self) -> bool:
        return any(block.block_type == "h5p" for block in self.body)

    def embeds_h5p(self, content_id) -> bool:
        """Whether an H5P block of this lesson plays that activity (read from the raw stream, so
        no query): a statement may only score a lesson that really embeds its content."""
        wanted = str(content_id)
        return any(
            block.get("type") == "h5p"
            and str((block.get("value") or {}).get("activity") or "") == wanted
            for block in self.body.raw_data
        )

    def completion_hint(self) -> str:
        """How this lesson is completed, said to a learner who has not completed it yet (the
        criterion's short label, e.g. "Viewed", would read as a status they do not have)."""
        from django.utils.translation import gettext

        if self.criterion == self.Criterion.WATCHED:
            return gettext(
                "To complete this lesson, watch at least %(percent)d%% of the video or audio."
            ) % {"percent": 90}
        if self.criterion == self.Criterion.SCORE:
            return gettext(
                "To complete this lesson, score at least %(threshold)d%% in its exercise."
            ) % {"threshold": self.threshold}
        if self.criterion == self.Criterion.MANUAL:
            return gettext("When you have finished, mark this lesson as done below.")
        return gettext("Opening this lesson while signed in completes it.")

    @property
    def counts_browser_scores(self) -> bool:
        """Completed by a score that an H5P activity reports from the browser."""
        return self.criterion == self.Criterion.SCORE and self.has_h5p

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        course = self.course
        lessons = list(selectors.lessons_of(course))
        index = next((i for i, lesson in enumerate(lessons) if lesson.pk == self.pk), 0)
        context["course"] = course
        context["previous"] = lessons[index - 1] if index > 0 else None
        context["next"] = lessons[index + 1] if index + 1 < len(lessons) else None
        user = request.user
        attempts = selectors.last_quiz_attempts(user=user, lesson=self)
        # Each quiz with the learner's last attempt and the questions its pass mark needs.
        context["blocks"] = [
            (
                block,
                attempts.get(block.id),
                selectors.pass_mark_questions(self, len(block.value["questions"])),
            )
            if block.block_type == "quiz"
            else (block, None, 0)
            for block in self.body
        ]
        wanted = [c.pk for c in course.prerequisites.all()]
        context["prerequisites"] = list(CoursePage.objects.live().filter(pk__in=wanted))
        if user.is_authenticated:
            from . import services

            progress = LessonProgress.objects.filter(user=user, lesson=self).first()
            context["lesson_progress"] = progress
            if progress and progress.media_duration:
                context["watched_percent"] = min(100, round(progress.watched_percent))
            # Progress is refused until the prerequisites are done (for a learner not yet
            # enrolled): say so before they start, not after.
            enrolled = Enrolment.objects.filter(user=user, course=course).exists()
            context["missing"] = (
                [] if enrolled else services.missing_prerequisites(user=user, course=course)
            )
        return context


# --- Learners -------------------------------------------------------------------------------


class Enrolment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="enrolments")
    enrolled_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_lesson = models.ForeignKey(
        LessonPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_activity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="courses_one_enrolment")
        ]
        permissions = [("view_stats", _("Can see learning statistics"))]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.course_id}"


class Subscription(models.Model):
    """Follow a path or a topic: be told once when something new is published there."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    path = models.ForeignKey(LearningPathPage, null=True, blank=True, on_delete=models.CASCADE)
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(path__isnull=False, topic__isnull=True)
                | Q(path__isnull=True, topic__isnull=False),
                name="courses_subscription_one_target",
            ),
            models.UniqueConstraint(fields=["user", "path"], name="courses_one_path_subscription"),
            models.UniqueConstraint(
                fields=["user", "topic"], name="courses_one_topic_subscription"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.path_id or self.topic_id}"


class SubscriptionNotice(models.Model):
    """One row per learner and published page: the database makes "notify once" true."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "page"], name="courses_notice_once")]

    def __str__(self) -> str:
        return f"{self.user_id} ← {self.page_id}"


class LessonProgress(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="progress")
    viewed_at = models.DateTimeField(null=True, blank=True)
    # Merged [start, end] seconds of the lesson's media that were really played.
    watched = models.JSONField(default=list, blank=True)
    media_duration = models.FloatField(default=0)
    last_media_at = models.DateTimeField(null=True, blank=True)
    best_score = models.FloatField(null=True, blank=True)
    # The best of the scores our server marked itself (quizzes), apart from browser-reported ones.
    best_server_score = models.FloatField(null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    position = models.FloatField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="courses_one_progress")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.lesson_id}"

    @property
    def watched_seconds(self) -> float:
        return sum(end - start for start, end in self.watched)

    @property
    def watched_percent(self) -> float:
        return 100 * self.watched_seconds / self.media_duration if self.media_duration else 0


class ProgressEvent(models.Model):
    """Every event a browser sent, by its own id: the same event twice counts once."""

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12)
    data = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class QuizAttempt(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="+")
    block_id = models.CharField(max_length=64)
    answers = models.JSONField()
    correct = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.correct}/{self.total}"

    @property
    def percent(self) -> float:
        return 100 * self.correct / self.total if self.total else 0


class PointsEntry(models.Model):
    """Points are a ledger; ``reason`` is unique per learner so an award happens once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    points = models.IntegerField()
    reason = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "reason"], name="courses_points_once")
        ]

    def __str__(self) -> str:
        return f"{self.points} {self.reason}"


class BadgeClass(models.Model):
    """An Open Badges 2.0 BadgeClass, hosted at a stable URL."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"))
    criteria = models.TextField(_("criteria"))
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image (PNG)"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")

    def __str__(self) -> str:
        return self.name


class Assertion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    badge = models.ForeignKey(
        BadgeClass, on_delete=models.PROTECT, related_name="assertions", verbose_name=_("badge")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="badges",
        verbose_name=_("learner"),
    )
    course = models.ForeignKey(
        CoursePage, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("course")
    )
    salt = models.CharField(max_length=32, verbose_name=_("salt"))
    # "sha256$" + hex of email + salt
    identity = models.CharField(max_length=80, verbose_name=_("hashed identity"))
    issued_on = models.DateTimeField(auto_now_add=True, verbose_name=_("issued on"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))
    revocation_reason = models.CharField(
        max_length=200, blank=True, verbose_name=_("reason for revoking")
    )

    class Meta:
        verbose_name = _("badge awarded")
        verbose_name_plural = _("badges awarded")
        constraints = [
            models.UniqueConstraint(
                fields=["badge", "user", "course"], name="courses_badge_once_per_course"
            )
        ]

    def __str__(self) -> str:
        return f"{self.badge} → {self.user_id}"


class Certificate(models.Model):
    code = models.CharField(max_length=16, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    course = models.ForeignKey(CoursePage, on_delete=models.PROTECT, related_name="+")
    learner_name = models.CharField(max_length=120)
    course_title = models.CharField(max_length=255)
    issued_on = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="courses_one_certificate")
        ]

    def __str__(self) -> str:
        return self.code


# --- H5P -------------------------------------------------------------------------------------


class H5PLibrary(models.Model):
    """One H5P library, stored once per machineName-major.minor (the highest patch wins) and
    shared by every package that uses it."""

    machine_name = models.CharField(max_length=127)
    major = models.PositiveSmallIntegerField()
    minor = models.PositiveSmallIntegerField()
    patch = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=255)
    runnable = models.BooleanField(default=False)
    preloaded_js = models.JSONField(default=list)
    preloaded_css = models.JSONField(default=list)
    dependencies = models.JSONField(default=list)
    files = models.JSONField(default=list)  # paths inside the library folder
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["machine_name", "major", "minor"], name="courses_h5p_library_once"
            )
        ]
        # A library is code that runs for every learner; installing or upgrading one is a
        # decision of its own, apart from uploading content (add_h5pcontent).
        permissions = [("install_h5p_library", _("Can install and upgrade H5P libraries"))]

    def __str__(self) -> str:
        return f"{self.folder} (patch {self.patch})"

    @property
    def folder(self) -> str:
        return f"{self.machine_name}-{self.major}.{self.minor}"


class H5PContentQuerySet(models.QuerySet):
    def playable(self) -> H5PContentQuerySet:
        """Activities whose libraries are installed: held or refused packages never play."""
        return self.filter(status=H5PContent.Status.READY)


class H5PContent(models.Model):
    """An uploaded H5P activity: its h5p.json and content are stored per id.

    A package that brings libraries not installed yet (or newer patches of installed ones) from
    someone without ``install_h5p_library`` is *held*: the package waits in private storage,
    unplayable, until an administrator has looked at the library files and approved or refused.
    """

    class Status(models.TextChoices):
        READY = "ready", _("Ready")
        HELD = "held", _("Waiting for an administrator to approve its libraries")
        REFUSED = "refused", _("Libraries refused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("title"), max_length=255)
    main_library = models.CharField(max_length=127, verbose_name=_("main library"))
    h5p_json = models.JSONField(verbose_name=_("package description (h5p.json)"))
    # paths under content/
    content_files = models.JSONField(default=list, verbose_name=_("content files"))
    libraries = models.ManyToManyField(
        H5PLibrary, related_name="contents", verbose_name=_("libraries")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.READY
    )
    # While held: where the uploaded package waits, and what its new libraries hold (shown to
    # the administrator who decides: folder, version, digest and each file's size and SHA-256).
    held_package_key = models.CharField(max_length=255, blank=True, verbose_name=_("held package"))
    held_libraries = models.JSONField(default=list, blank=True, verbose_name=_("held libraries"))
    review_note = models.TextField(_("reason"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))

    objects = H5PContentQuerySet.as_manager()

    class Meta:
        verbose_name = _("H5P activity")
        verbose_name_plural = _("H5P activities")

    def __str__(self) -> str:
        return self.title


class XAPIStatement(models.Model):
    """A small learning-record store: statements by id, the actor always the signed-in user."""

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    content = models.ForeignKey(H5PContent, null=True, on_delete=models.SET_NULL)
    lesson = models.ForeignKey(LessonPage, null=True, blank=True, on_delete=models.SET_NULL)
    verb = models.CharField(max_length=255)
    statement = models.JSONField()
    stored_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "stored_at"])]

    def __str__(self) -> str:
        return f"{self.verb} {self.id}"


class H5PState(models.Model):
    """The learner's unfinished activity (H5P contentUserData), restored on the next visit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    content = models.ForeignKey(H5PContent, on_delete=models.CASCADE)
    data_type = models.CharField(max_length=64, default="state")
    sub_content_id = models.PositiveIntegerField(default=0)
    data = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "content", "data_type", "sub_content_id"],
                name="courses_h5p_state_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.content_id} {self.data_type}"


class H5PPage(QuickServe, Page):
    """A standalone page for one H5P activity (practice outside a course)."""

    introduction = models.TextField(_("introduction"), blank=True)
    activity = models.ForeignKey(
        H5PContent, verbose_name=_("H5P activity"), on_delete=models.PROTECT, related_name="+"
    )

    content_panels = [*Page.content_panels, FieldPanel("introduction"), FieldPanel("activity")]
    parent_page_types = ["courses.LearningIndexPage"]
    subpage_types: list[str] = []
    template = "courses/h5p_page.html"

    class Meta:
        verbose_name = _("H5P activity page")
