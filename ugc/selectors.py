"""Reads for readers' works."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import User
from media.models import StoredFile

from .models import Collection, Comment, Report, Work, WorkState


def _with_media(works: QuerySet[Work]) -> QuerySet[Work]:
    return works.select_related("owner", "asset", "collection").prefetch_related(
        "asset__derivatives__file", "tags"
    )


def gallery(*, kind: str = "", tag: str = "", licence: str = "", query: str = "") -> QuerySet[Work]:
    works = Work.objects.filter(state=WorkState.PUBLISHED)
    if kind:
        works = works.filter(kind=kind)
    if tag:
        works = works.filter(tags__name=tag)
    if licence:
        works = works.filter(licence=licence)
    if query:
        works = works.filter(
            Q(title__icontains=query) | Q(description__icontains=query) | Q(tags__name=query)
        ).distinct()
    return _with_media(works).order_by("-published_at")


def works_of(*, owner: User) -> QuerySet[Work]:
    return _with_media(Work.objects.filter(owner=owner)).order_by("-created_at")


def published_works_of(*, owner: User) -> QuerySet[Work]:
    return gallery().filter(owner=owner)


def moderation_queue() -> QuerySet[Work]:
    return _with_media(Work.objects.filter(state=WorkState.PENDING_REVIEW)).order_by("updated_at")


def visible_work(*, user: User | AnonymousUser, pk) -> Work | None:
    """The work if this user may see it: published, their own, or any for moderators."""
    work = _with_media(Work.objects.filter(pk=pk)).first()
    if work is None:
        return None
    if work.state == WorkState.PUBLISHED:
        return work
    if user.is_authenticated and (work.owner_id == user.pk or user.has_perm("ugc.moderate_work")):
        return work
    return None


def derivative(work: Work, role: str) -> StoredFile | None:
    for item in work.asset.derivatives.all():
        if item.role == role:
            return item.file
    return None


def moderator_may_read(user: User | AnonymousUser, stored_file: StoredFile) -> bool:
    """Moderators preview the files of works awaiting review (or already reviewed)."""
    if not user.is_authenticated or not user.has_perm("ugc.moderate_work"):
        return False
    return Work.objects.filter(
        Q(asset__original=stored_file) | Q(asset__derivatives__file=stored_file)
    ).exists()


def comments_for(*, work: Work, user: User | AnonymousUser) -> QuerySet[Comment]:
    comments = work.comments.select_related("author")
    if not user.has_perm("ugc.moderate_work"):
        comments = comments.filter(hidden=False)
    return comments


def collections_of(*, owner: User) -> QuerySet[Collection]:
    return Collection.objects.filter(owner=owner).annotate(work_count=Count("works"))


def published_in_collection(*, collection: Collection) -> QuerySet[Work]:
    return gallery().filter(collection=collection)


def reported_works() -> QuerySet[Work]:
    """Published works with at least one open report, most reported first.

    Works whose reports are all resolved (or that were never reported) are left out: the
    moderators' queue must show only what still needs a decision. Each work carries its open
    reports, oldest first, as ``open_report_list``.
    """
    open_reports = Report.objects.filter(resolved_at__isnull=True).order_by("created_at")
    return (
        Work.objects.filter(state=WorkState.PUBLISHED)
        .annotate(open_reports=Count("reports", filter=Q(reports__resolved_at__isnull=True)))
        .filter(open_reports__gt=0)
        .select_related("owner")
        .prefetch_related(Prefetch("reports", queryset=open_reports, to_attr="open_report_list"))
        .order_by("-open_reports", "-published_at")
    )


def open_reports_of(*, work: Work) -> QuerySet[Report]:
    return Report.objects.filter(work=work, resolved_at__isnull=True).order_by("created_at")
