"""Writes for readers' works: creating them from uploads, editing, moderation, deletion.

Every state change locks the work's row and checks the state it starts from, so two moderators
clicking at once, or a moderator and the owner, cannot both act on the same work.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from core.insight import services as insight
from core.sanitize import clean_html, plain_text
from core.siteurl import absolute
from media import webvtt
from media.models import MediaAsset, ProcessingStatus, StoredFile, Upload, UploadStatus, Visibility
from media.services import delete_stored_file, move_file, store_file

from .models import (
    Collection,
    Comment,
    Favourite,
    Licence,
    ModerationAction,
    Report,
    Work,
    WorkState,
)

Action = ModerationAction.Action
# Kinds whose original file is itself what readers get once the work is published.
PUBLISH_ORIGINAL = {"document", "model"}
# Kinds that are published only with captions (for audio: a timed transcript).
CAPTIONED_KINDS = {"video", "audio"}


def _clean_fields(*, title: str, description: str) -> tuple[str, str]:
    title = plain_text(title)[:120]
    if not title:
        raise ValidationError({"title": _("Please give your work a title.")})
    return title, clean_html(description)[:5000]


@transaction.atomic
def create_work(
    *,
    user: User,
    upload_id,
    title: str,
    description: str = "",
    licence: str,
    language: str = "zh-hans",
    tags: list[str] | None = None,
    collection: Collection | None = None,
) -> Work:
    try:
        upload = Upload.objects.select_for_update().get(
            pk=upload_id, owner=user, status=UploadStatus.COMPLETE
        )
    except Upload.DoesNotExist as error:
        raise ValidationError(
            _("The upload was not found or is not finished."), code="upload_missing"
        ) from error
    asset = MediaAsset.objects.filter(original=upload.stored_file).first()
    if asset is None or Work.objects.filter(asset=asset).exists():
        raise ValidationError(_("This upload already belongs to a work."), code="upload_used")
    if collection is not None and collection.owner_id != user.pk:
        raise PermissionDenied
    work = add_work(
        owner=user,
        asset=asset,
        title=title,
        description=description,
        licence=licence,
        language=language,
        collection=collection,
    )
    if tags:
        work.tags.set([plain_text(tag)[:50] for tag in tags if plain_text(tag)][:10])
    return work


def add_work(
    *,
    owner: User,
    asset: MediaAsset,
    title: str,
    description: str = "",
    licence: str = Licence.ALL_RIGHTS_RESERVED,
    language: str = "zh-hans",
    collection: Collection | None = None,
) -> Work:
    """A private work around an asset the owner already has (an upload, or a studio session
    the maker space processed for them)."""
    title, description = _clean_fields(title=title, description=description)
    with transaction.atomic():
        work = Work.objects.create(
            owner=owner,
            asset=asset,
            title=title,
            description=description,
            kind=asset.kind,
            licence=licence,
            language=language,
            collection=collection,
        )
        insight.record("work.uploaded", user=owner, subject=work, outcome=work.kind)
    return work


def update_work(*, work: Work, user: User, **changes) -> Work:
    if work.owner_id != user.pk:
        raise PermissionDenied
    tags = changes.pop("tags", None)
    collection = changes.get("collection")
    if collection is not None and collection.owner_id != user.pk:
        raise ValidationError({"collection": _("Choose one of your own collections.")})
    if "title" in changes or "description" in changes:
        changes["title"], changes["description"] = _clean_fields(
            title=changes.get("title", work.title),
            description=changes.get("description", work.description),
        )
    for field, value in changes.items():
        setattr(work, field, value)
    work.full_clean(exclude=["asset", "owner"])
    work.save()
    if tags is not None:
        work.tags.set([plain_text(tag)[:50] for tag in tags if plain_text(tag)][:10])
    return work


def _transition(
    work_id, *, expected: set[str], to: str, actor: User, action: str, reason: str = ""
) -> Work:
    work = Work.objects.select_for_update().select_related("asset", "owner").get(pk=work_id)
    if work.state not in expected:
        raise ValidationError(
            _("This work is now “%(state)s”; the action no longer applies.")
            % {"state": work.get_state_display()},
            code="state",
        )
    work.state = to
    work.moderation_note = reason if action in (Action.REJECT, Action.TAKE_DOWN) else ""
    if to == WorkState.PUBLISHED:
        work.published_at = timezone.now()
    work.save()
    ModerationAction.objects.create(work=work, actor=actor, action=action, reason=reason)
    if action in (Action.APPROVE, Action.REJECT, Action.TAKE_DOWN):
        _log_decision(work, action)
    return work


def _log_decision(work: Work, action: str) -> None:
    """A moderator's decision in the activity record, with the hours since the work was
    submitted for review (for a take-down, since it was published)."""
    since = (
        ModerationAction.objects.filter(work=work, action=Action.SUBMIT)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if action == Action.TAKE_DOWN:
        since = work.published_at or since
    waited = (timezone.now() - since).total_seconds() / 3600 if since else None
    insight.record("work.moderated", user=work.owner, subject=work, outcome=action, value=waited)


def _published_files(work: Work) -> list[StoredFile]:
    files = [d.file for d in work.asset.derivatives.select_related("file")]
    if work.captions_id:
        files.append(work.captions)
    if work.kind in PUBLISH_ORIGINAL:
        files.append(work.asset.original)
    return files


def _move_published_files(work: Work, visibility: str) -> None:
    for stored in _published_files(work):
        move_file(stored_file=stored, visibility=visibility)


def _notify_owner(work: Work, template: str) -> None:
    owner = work.owner
    if not owner.is_active:
        return
    with translation.override(owner.language):
        context = {"work": work, "url": absolute(reverse("ugc:work", args=[work.pk]))}
        subject = render_to_string(f"ugc/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"ugc/email/{template}.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [owner.email]))


@transaction.atomic
def submit_for_review(*, work: Work, user: User) -> Work:
    if work.owner_id != user.pk:
        raise PermissionDenied
    if not MediaAsset.objects.filter(pk=work.asset_id, status=ProcessingStatus.READY).exists():
        raise ValidationError(
            _("The work can be submitted once its processing has finished."), code="processing"
        )
    if work.kind in CAPTIONED_KINDS and not work.captions_id:
        # The library promises captions or a transcript for every published recording.
        raise ValidationError(
            _("Please add captions (a WebVTT file) before submitting a video or audio work."),
            code="captions_required",
        )
    return _transition(
        work.pk,
        expected={WorkState.PRIVATE, WorkState.REJECTED},
        to=WorkState.PENDING_REVIEW,
        actor=user,
        action=Action.SUBMIT,
    )


@transaction.atomic
def withdraw(*, work: Work, user: User) -> Work:
    if work.owner_id != user.pk:
        raise PermissionDenied
    work = _transition(
        work.pk,
        expected={WorkState.PENDING_REVIEW, WorkState.PUBLISHED},
        to=WorkState.PRIVATE,
        actor=user,
        action=Action.WITHDRAW,
    )
    _move_published_files(work, Visibility.PRIVATE)
    return work


def _require_moderator(user: User) -> None:
    if not user.has_perm("ugc.moderate_work"):
        raise PermissionDenied


@transaction.atomic
def approve(*, work: Work, moderator: User) -> Work:
    _require_moderator(moderator)
    work = _transition(
        work.pk,
        expected={WorkState.PENDING_REVIEW},
        to=WorkState.PUBLISHED,
        actor=moderator,
        action=Action.APPROVE,
    )
    _move_published_files(work, Visibility.PUBLIC)
    _notify_owner(work, "approved")
    return work


@transaction.atomic
def reject(*, work: Work, moderator: User, reason: str) -> Work:
    _require_moderator(moderator)
    if not plain_text(reason):
        raise ValidationError(
            _("Please tell the reader why the work was not accepted."), code="reason_required"
        )
    work = _transition(
        work.pk,
        expected={WorkState.PENDING_REVIEW},
        to=WorkState.REJECTED,
        actor=moderator,
        action=Action.REJECT,
        reason=plain_text(reason),
    )
    _notify_owner(work, "rejected")
    return work


@transaction.atomic
def take_down(*, work: Work, moderator: User, reason: str) -> Work:
    _require_moderator(moderator)
    if not plain_text(reason):
        raise ValidationError(
            _("Please give the reason for taking the work down."), code="reason_required"
        )
    work = _transition(
        work.pk,
        expected={WorkState.PUBLISHED},
        to=WorkState.TAKEN_DOWN,
        actor=moderator,
        action=Action.TAKE_DOWN,
        reason=plain_text(reason),
    )
    _move_published_files(work, Visibility.PRIVATE)
    Report.objects.filter(work=work, resolved_at__isnull=True).update(resolved_at=timezone.now())
    _notify_owner(work, "taken_down")
    return work


@transaction.atomic
def dismiss_reports(*, work: Work, moderator: User, reason: str = "") -> Work:
    """The moderator looked at the reports and keeps the work published: the reports close.

    The decision is recorded like any other, so the audit trail says who kept it and why.
    """
    _require_moderator(moderator)
    work = Work.objects.select_for_update().get(pk=work.pk)
    if work.state != WorkState.PUBLISHED:
        raise ValidationError(
            _("This work is now “%(state)s”; the action no longer applies.")
            % {"state": work.get_state_display()},
            code="state",
        )
    closed = Report.objects.filter(work=work, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    if not closed:
        raise ValidationError(_("This work has no open reports."))
    ModerationAction.objects.create(
        work=work, actor=moderator, action=Action.DISMISS, reason=plain_text(reason)
    )
    return work


def _published(work: Work) -> Work:
    """The work as it is now in the database, locked so it cannot be taken down meanwhile."""
    return Work.objects.select_for_update().get(pk=work.pk)


#: What a moderator may decide about a work (the desk's form and the API offer the same).
MODERATION_ACTIONS = ("approve", "reject", "take_down", "dismiss")


def moderate(*, work: Work, moderator: User, action: str, reason: str = "") -> Work:
    """One moderation decision, by name: approve, reject, take_down or dismiss (the reports)."""
    if action == "approve":
        return approve(work=work, moderator=moderator)
    if action == "reject":
        return reject(work=work, moderator=moderator, reason=reason)
    if action == "take_down":
        return take_down(work=work, moderator=moderator, reason=reason)
    if action == "dismiss":
        return dismiss_reports(work=work, moderator=moderator, reason=reason)
    raise ValueError(f"not a moderation action: {action!r}")


@transaction.atomic
def report(*, work: Work, reporter: User, reason: str) -> Report:
    work = _published(work)
    if work.state != WorkState.PUBLISHED:
        raise ValidationError(_("Only published works can be reported."))
    reason = plain_text(reason)[:1000]
    if not reason:
        raise ValidationError(_("Please say what is wrong with this work."))
    existing = Report.objects.filter(work=work, reporter=reporter, resolved_at__isnull=True).first()
    if existing is not None:
        return existing
    created = Report.objects.create(work=work, reporter=reporter, reason=reason)
    insight.record("work.reported", user=work.owner, subject=work)
    return created


def record_view(*, work: Work, viewer: User) -> None:
    """A view of a published work by someone other than its owner (for the owner's year in
    review and the library's statistics)."""
    if work.state == WorkState.PUBLISHED and work.owner_id != viewer.pk:
        insight.record_soon("work.viewed", user=viewer, subject=work)


@transaction.atomic
def set_captions(*, work: Work, user: User, data: bytes) -> Work:
    """Attach a WebVTT captions file to a video or audio work (replacing any earlier one)."""
    if work.owner_id != user.pk:
        raise PermissionDenied
    if work.kind not in ("video", "audio"):
        raise ValidationError(_("Only video and audio works have captions."))
    try:
        webvtt.parse(data)
    except webvtt.WebVTTError as error:
        raise ValidationError(str(error)) from error
    work = Work.objects.select_for_update().get(pk=work.pk)
    old = work.captions
    visibility = Visibility.PUBLIC if work.state == WorkState.PUBLISHED else Visibility.PRIVATE
    work.captions = store_file(
        content=ContentFile(data),
        original_name="captions.vtt",
        content_type="text/vtt",
        visibility=visibility,
        owner=user,
        prefix="captions",
    )
    work.save(update_fields=["captions", "updated_at"])
    if old is not None:
        delete_stored_file(stored_file=old)
    return work


@transaction.atomic
def delete_work(*, work: Work, user: User) -> None:
    """Remove the work and every file made for it, from both buckets, once this commits."""
    if work.owner_id != user.pk and not user.has_perm("ugc.moderate_work"):
        raise PermissionDenied
    work = Work.objects.select_for_update().select_related("asset__original").get(pk=work.pk)
    asset = work.asset
    files = [d.file for d in asset.derivatives.select_related("file")] + [asset.original]
    if work.captions_id:
        files.append(work.captions)
    work.delete()
    Upload.objects.filter(stored_file=asset.original).update(stored_file=None)
    asset.derivatives.all().delete()
    asset.delete()
    for stored in files:
        delete_stored_file(stored_file=stored)


@transaction.atomic
def toggle_favourite(*, work: Work, user: User) -> bool:
    """Add or remove the reader's favourite; returns whether it is now a favourite."""
    work = _published(work)
    if work.state != WorkState.PUBLISHED:
        raise ValidationError(_("Only published works can be added to favourites."))
    deleted, _kinds = Favourite.objects.filter(work=work, user=user).delete()
    if deleted:
        return False
    # The unique constraint settles a double click: the second insert changes nothing.
    Favourite.objects.get_or_create(work=work, user=user)
    return True


@transaction.atomic
def add_comment(*, work: Work, author: User, body: str) -> Comment:
    work = _published(work)
    if work.state != WorkState.PUBLISHED:
        raise ValidationError(_("Only published works can be commented on."))
    body = plain_text(body)[:2000]
    if not body:
        raise ValidationError(_("The comment is empty."))
    # Counted under a lock on the author's row, so parallel posts cannot slip past the limit.
    User.objects.select_for_update().get(pk=author.pk)
    window = timezone.now() - timedelta(minutes=10)
    recent = Comment.objects.filter(author=author, created_at__gte=window).count()
    if recent >= settings.UGC_COMMENTS_PER_10_MINUTES:
        raise ValidationError(
            _("You are commenting very quickly. Please wait a few minutes and try again.")
        )
    return Comment.objects.create(work=work, author=author, body=body)


@transaction.atomic
def hide_comment(*, comment: Comment, moderator: User, reason: str) -> Comment:
    _require_moderator(moderator)
    comment.hidden = True
    comment.hidden_by = moderator
    comment.hidden_reason = plain_text(reason)[:300]
    comment.save(update_fields=["hidden", "hidden_by", "hidden_reason"])
    return comment


def delete_comment(*, comment: Comment, user: User) -> None:
    if comment.author_id != user.pk and not user.has_perm("ugc.moderate_work"):
        raise PermissionDenied
    comment.delete()


def create_collection(*, owner: User, title: str, description: str = "") -> Collection:
    title = plain_text(title)[:120]
    if not title:
        raise ValidationError(_("Please give the collection a title."))
    try:
        with transaction.atomic():
            return Collection.objects.create(
                owner=owner, title=title, description=plain_text(description)[:2000]
            )
    except IntegrityError as error:
        raise ValidationError(_("You already have a collection with this title.")) from error
