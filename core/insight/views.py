"""The privacy page and a reader's own data: thin views over services and selectors."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import services
from .kinds import MODULES, kinds_of
from .models import DataExport


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """What the platform records, why and for how long: from the same catalogue and settings
    the code uses, so the page cannot drift from what is done."""
    sections = [(label, kinds_of(code)) for code, label in MODULES.items()]
    return render(
        request,
        "insight/privacy.html",
        {
            "sections": sections,
            "raw_months": settings.INSIGHT_RAW_MONTHS,
            "person_months": settings.INSIGHT_PERSON_MONTHS,
            "export_days": services.EXPORT_DAYS,
            "recommend_months": settings.INSIGHT_RECOMMEND_MONTHS,
            "recommend_readers": settings.INSIGHT_RECOMMEND_MIN_READERS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # The page it returns to says that the copy is being prepared: no second message.
        services.request_export(user=request.user)
        return redirect("insight:my-data")
    exports = DataExport.objects.filter(user=request.user)[:5]
    return render(
        request,
        "insight/my_data.html",
        {
            "exports": exports,
            "pending": any(e.status == DataExport.Status.PENDING for e in exports),
            "now": timezone.now(),
            "export_days": services.EXPORT_DAYS,
        },
    )


@login_required
@require_GET
def download_export(request: HttpRequest, pk) -> HttpResponse:
    from media import usercontent

    export = (
        DataExport.objects.filter(
            pk=pk,
            user=request.user,
            status=DataExport.Status.READY,
            expires_at__gt=timezone.now(),
            file__isnull=False,
        )
        .select_related("file")
        .first()
    )
    if export is None:
        raise Http404
    return usercontent.redirect_to_file(export.file, force_attachment=True)


@login_required
@require_http_methods(["GET", "POST"])
def my_year(request: HttpRequest) -> HttpResponse:
    from . import review as reviews

    shown = reviews.shown_review(request.user)
    if request.method == "POST":
        if shown is None:
            raise Http404
        share = request.POST.get("share") == "on"
        reviews.set_shared(review=shown, shared=share)
        messages.success(
            request,
            _("Your card can now be seen by anyone with its link.")
            if share
            else _("Your card is private again; its old link no longer works."),
        )
        return redirect("insight:my-year")
    figures = []
    if shown is not None:
        figures = [(label, shown.figures.get(key, 0)) for key, label in reviews.labels()]
    return render(request, "insight/my_year.html", {"review": shown, "figures": figures})


def _png(data: bytes, *, public: bool) -> HttpResponse:
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response


@login_required
@require_GET
def my_year_card(request: HttpRequest) -> HttpResponse:
    from . import review as reviews

    shown = reviews.shown_review(request.user)
    if shown is None:
        raise Http404
    return _png(reviews.card_png(shown), public=False)


@require_GET
def shared_card(request: HttpRequest, token: str) -> HttpResponse:
    from . import review as reviews
    from .models import YearReview

    found = YearReview.objects.filter(share_token=token).exclude(share_token="").first()
    if found is None or reviews.shown_review(found.user) is None:
        raise Http404
    return _png(reviews.card_png(found), public=True)


@require_GET
def for_you(request: HttpRequest) -> HttpResponse:
    """为你推荐: a reader's next courses, events and interviews, each with its reason; a
    visitor chooses an audience group and sees what that group takes up."""
    from accounts.models import AudienceGroup

    from . import recommendations
    from .forms import AudienceChoiceForm

    form = AudienceChoiceForm(request.GET or None)
    audience = form.cleaned_data["audience"] if form.is_valid() else ""
    sections = recommendations.for_reader(request.user, audience=audience)
    titles = {
        recommendations.COURSE: _("Courses"),
        recommendations.EVENT: _("Events"),
        recommendations.INTERVIEW: _("Interviews in Liaohai Memories"),
    }
    group = request.user.audience_group if request.user.is_authenticated else audience
    return render(
        request,
        "insight/for_you.html",
        {
            "form": form,
            "sections": [(titles[code], items) for code, items in sections.items()],
            "group_label": dict(AudienceGroup.choices).get(group or "", ""),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def following(request: HttpRequest) -> HttpResponse:
    """我的关注: the kinds of event and archive subjects a reader asked to hear about (learning
    paths and topics are followed from their own pages and listed here too)."""
    from core import interests
    from core.models import InterestTopic
    from courses.selectors import subscriptions_of
    from courses.services import set_followed_topics

    from .forms import FollowingForm

    topics = {"event_kinds": InterestTopic.EVENT_KIND, "subjects": InterestTopic.ARCHIVE_SUBJECT}
    if request.method == "POST":
        form = FollowingForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                for field, topic in topics.items():
                    interests.set_following(
                        user=request.user, topic=topic, keys=form.cleaned_data[field]
                    )
                set_followed_topics(user=request.user, topic_ids=form.cleaned_data["topics"])
            messages.success(
                request, _("Saved. We will tell you once when something new is published.")
            )
            return redirect("insight:following")
    subscriptions = list(subscriptions_of(request.user))
    if request.method == "GET":
        initial = {
            field: sorted(interests.following(request.user, topic))
            for field, topic in topics.items()
        }
        initial["topics"] = [s.topic_id for s in subscriptions if s.topic_id]
        form = FollowingForm(initial=initial)
    return render(
        request,
        "insight/following.html",
        {"form": form, "paths": [s.path for s in subscriptions if s.path_id]},
    )
