"""Learners' actions, the learning record and its exports, badges and certificates. Course
pages themselves are Wagtail pages (``models.py``, templates in ``templates/courses``)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.siteurl import absolute
from core.views import error_text, safe_next

from . import badges, certificates, selectors, services, xapi
from .models import Assertion, BadgeClass, Certificate, CoursePage, LessonPage


@login_required
@require_POST
def enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(CoursePage.objects.live().public(), pk=course_id)
    try:
        services.enrol(user=request.user, course=course)
        messages.success(request, _("You are enrolled. Enjoy the course!"))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect(course.url)


@login_required
@require_POST
def submit_quiz(request: HttpRequest, lesson_id: int, block_id: str) -> HttpResponse:
    lesson = get_object_or_404(LessonPage.objects.live().public(), pk=lesson_id)
    quiz = selectors.quiz_block(lesson, block_id)
    if quiz is None:
        raise Http404
    answers = {
        str(n): [int(v) for v in request.POST.getlist(f"q{n}") if v.isdigit()]
        for n in range(len(quiz["questions"]))
    }
    try:
        result = services.submit_quiz(
            user=request.user, lesson=lesson, block_id=block_id, answers=answers
        )
    except ValidationError as error:
        if request.htmx:  # in place of the form, not a whole page swapped into it
            context = {"error": error_text(error), "lesson": lesson, "block_id": block_id}
            return render(request, "courses/_quiz_result.html", context)
        messages.error(request, error_text(error))
        return redirect(lesson.url)
    pairs = list(zip(quiz["questions"], result.questions, strict=True))
    context = {"result": result, "lesson": lesson, "pairs": pairs, "block_id": block_id}
    if request.htmx:
        return render(request, "courses/_quiz_result.html", context)
    messages.info(
        request,
        _("Quiz score: %(correct)d of %(total)d.")
        % {"correct": result.correct, "total": result.total},
    )
    return redirect(lesson.url)


def course_end(request: HttpRequest, course_id: int) -> HttpResponse:
    """Where the last lesson leads: what the learner earned in the course, how long they
    learned, what is left if anything, and what to learn next."""
    course = get_object_or_404(CoursePage.objects.live().public(), pk=course_id)
    return render(
        request,
        "courses/course_end.html",
        {"end": selectors.course_end(user=request.user, course=course), "course": course},
    )


@login_required
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    from .models import LearningPathPage, Topic

    path = LearningPathPage.objects.live().filter(pk=request.POST.get("path") or 0).first()
    topic = Topic.objects.filter(pk=request.POST.get("topic") or 0).first()
    if (path is None) == (topic is None):
        raise Http404
    if request.POST.get("action") == "unsubscribe":
        services.unsubscribe(user=request.user, path=path, topic=topic)
        messages.success(request, _("You will no longer be told about new courses here."))
    else:
        services.subscribe(user=request.user, path=path, topic=topic)
        messages.success(request, _("We will tell you once when something new is published."))
    back = path.url if path else reverse("courses:record")
    return redirect(safe_next(request, request.POST.get("next"), default=back))


@login_required
def record(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "courses/record.html",
        {
            "record": selectors.record_of(request.user),
            "subscriptions": selectors.subscriptions_of(request.user),
        },
    )


@login_required
def record_csv(request: HttpRequest) -> HttpResponse:
    data = selectors.record_of(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="learning-record.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
    writer = csv.writer(response)
    writer.writerow(
        [_("Lesson"), _("Viewed"), _("Completed"), _("Best score"), _("Time spent (minutes)")]
    )
    for item in data.lessons:
        writer.writerow(
            [
                item.lesson.title,
                item.viewed_at.isoformat() if item.viewed_at else "",
                item.completed_at.isoformat() if item.completed_at else "",
                "" if item.best_score is None else round(item.best_score),
                round(item.time_spent_seconds / 60, 1),
            ]
        )
    return response


@login_required
def record_xapi(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        xapi.statements_for(request, request.user),
        safe=False,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Disposition"] = 'attachment; filename="learning-record-xapi.json"'
    return response


# --- Open Badges ----------------------------------------------------------------------------


def badge_issuer(request: HttpRequest) -> JsonResponse:
    return JsonResponse(badges.issuer(request), json_dumps_params={"ensure_ascii": False})


def badge_class(request: HttpRequest, slug: str) -> JsonResponse:
    badge = get_object_or_404(BadgeClass, slug=slug)
    return JsonResponse(
        badges.badge_class(request, badge), json_dumps_params={"ensure_ascii": False}
    )


def badge_image(request: HttpRequest, slug: str) -> HttpResponse:
    badge = get_object_or_404(BadgeClass, slug=slug)
    return HttpResponse(badges.badge_png(badge), content_type="image/png")


def badge_assertion(request: HttpRequest, pk) -> JsonResponse:
    item = get_object_or_404(Assertion.objects.select_related("badge"), pk=pk)
    # A revoked hosted assertion answers 410 Gone, as Open Badges 2.0 asks of issuers.
    return JsonResponse(
        badges.assertion(request, item),
        status=410 if item.revoked_at else 200,
        json_dumps_params={"ensure_ascii": False},
    )


def badge_baked(request: HttpRequest, pk) -> HttpResponse:
    item = get_object_or_404(Assertion.objects.select_related("badge"), pk=pk)
    if item.revoked_at:
        raise Http404
    response = HttpResponse(badges.baked_assertion(request, item), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="badge-{item.pk}.png"'
    return response


# --- Certificates ---------------------------------------------------------------------------


@login_required
def certificate_pdf(request: HttpRequest, code: str) -> HttpResponse:
    certificate = Certificate.objects.filter(code=code, user=request.user).first()
    if certificate is None or certificate.revoked_at:
        raise Http404
    url = absolute(reverse("courses:certificate-verify", args=[code]))
    response = HttpResponse(certificates.render(certificate, url), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{code}.pdf"'
    return response


def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone holding a certificate's code or QR can check that it is genuine."""
    certificate = Certificate.objects.filter(code=code.upper()).first()
    return render(
        request,
        "courses/certificate_verify.html",
        {"certificate": certificate, "code": code},
        status=200 if certificate else 404,
    )


# --- Lesson media and search ----------------------------------------------------------------


def _stream(request: HttpRequest, stored) -> HttpResponse:
    """Teaching media come from the user-content origin, like every uploaded byte."""
    from media import usercontent

    if stored is None:
        raise Http404
    return usercontent.redirect_to_file(stored)


def media_stream(request: HttpRequest, media_id: int) -> HttpResponse:
    """Course videos and audio are public teaching material: the access copy, from the
    user-content origin (which streams it with Range support)."""
    from media.selectors import access_copy

    from .models import LearningMedia

    media = get_object_or_404(LearningMedia, pk=media_id)
    copy = access_copy(asset_id=media.asset_id)
    return _stream(request, copy.file if copy else None)


def media_captions(request: HttpRequest, media_id: int) -> HttpResponse:
    from .models import LearningMedia

    media = get_object_or_404(LearningMedia.objects.select_related("captions"), pk=media_id)
    return _stream(request, media.captions)


def search(request: HttpRequest) -> HttpResponse:
    """The learning centre's search is the site search limited to learning (one index, with
    pinyin and initials): old links and bookmarks land there with their words."""
    from urllib.parse import urlencode

    from django.http import HttpResponsePermanentRedirect

    query = request.GET.get("q", "").strip()[:100]
    params = {"kind": "learning", **({"q": query} if query else {})}
    return HttpResponsePermanentRedirect(f"{reverse('search')}?{urlencode(params)}")


def stats(request: HttpRequest) -> HttpResponse:
    """Enrolments, completion rates, where learners stop, by audience group (admin page)."""
    from django.core.exceptions import PermissionDenied

    from . import charts

    if not request.user.has_perm("courses.view_stats"):
        raise PermissionDenied
    rows = selectors.course_stats()
    return render(
        request,
        "courses/stats.html",
        {
            "rows": rows,
            "completion_chart": charts.bar_chart(
                [(row.course.title, row.completion_rate) for row in rows],
                unit="%",
                title=_("Completion rate by course"),
            ),
            "drop_off_charts": [
                (
                    row,
                    charts.bar_chart(
                        [(lesson.title, count) for lesson, count in row.drop_off],
                        title=_("Where learners stop"),
                        unit="",
                    ),
                    charts.bar_chart(
                        [(label, enrolled) for label, enrolled, _done in row.by_audience],
                        title=_("Enrolments by audience group"),
                        unit="",
                    ),
                )
                for row in rows
                if row.drop_off
            ],
        },
    )
