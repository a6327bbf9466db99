from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from core.sanitize import formatted_text
from core.views import error_text
from media.models import ProcessingStatus
from media.sniff import ALLOWED_EXTENSIONS

from . import selectors, services
from .forms import (
    CaptionsForm,
    CollectionForm,
    CommentForm,
    GalleryFilterForm,
    ModerationForm,
    NewWorkForm,
    ReasonForm,
    WorkForm,
    upload_settings,
)
from .models import Collection, Comment, Work

PAGE_SIZE = 24


def _visible_or_404(request: HttpRequest, pk) -> Work:
    """The work if this reader may see it; the same 404 whether it exists or not."""
    work = selectors.visible_work(user=request.user, pk=pk)
    if work is None:
        raise Http404
    return work


def gallery(request: HttpRequest) -> HttpResponse:
    form = GalleryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    works = selectors.gallery(
        kind=filters.get("kind", ""),
        tag=filters.get("tag", ""),
        licence=filters.get("licence", ""),
        query=filters.get("q", ""),
    )
    page = Paginator(works, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "ugc/gallery_results.html" if request.htmx else "ugc/gallery.html"
    return render(request, template, {"form": form, "page": page})


def waveform_path(peaks: list[float]) -> dict | None:
    """An SVG path of vertical bars, one per peak, mirrored around the middle line."""
    if not peaks:
        return None
    bars = " ".join(
        f"M{i} {50 - 50 * min(p, 1):.1f}V{50 + 50 * min(p, 1):.1f}" for i, p in enumerate(peaks)
    )
    return {"width": len(peaks), "path": bars}


def _settled(work: Work) -> bool:
    """Processing has come to an end (ready or failed): nothing will change by itself."""
    return work.asset.status in (ProcessingStatus.READY, ProcessingStatus.FAILED)


def _media_context(request: HttpRequest, work: Work) -> dict:
    return {
        "work": work,
        "is_owner": request.user.is_authenticated and work.owner_id == request.user.pk,
        "can_moderate": request.user.has_perm("ugc.moderate_work"),
        "files": {d.role: d.file for d in work.asset.derivatives.all()},
        "original": work.asset.original,
        "waveform": waveform_path(work.asset.probe.get("peaks") or []),
        "settled": _settled(work),
    }


def work_detail(request: HttpRequest, pk) -> HttpResponse:
    work = _visible_or_404(request, pk)
    services.record_view(work=work, viewer=request.user)
    return _detail_page(request, work)


def _detail_page(request: HttpRequest, work: Work, *, status: int = 200, **forms) -> HttpResponse:
    """The work's page; a refused form is shown again in place (``forms``), with what the
    person chose kept and the error beside it, where keyboard focus then goes."""
    context = {
        **_media_context(request, work),
        # Readers' text keeps its paragraphs; cleaned again here, never trusted as stored.
        "description": mark_safe(formatted_text(work.description)),  # noqa: S308
        "report_form": ReasonForm(),
        "moderation_form": ModerationForm(state=work.state),
        "comments": selectors.comments_for(work=work, user=request.user),
        "comment_form": CommentForm(),
        "captions_form": CaptionsForm(),
        "open_reports": selectors.open_reports_of(work=work)
        if request.user.has_perm("ugc.moderate_work")
        else [],
        "favourite_count": work.favourites.count(),
        "is_favourite": request.user.is_authenticated
        and work.favourites.filter(user=request.user).exists(),
        **forms,
    }
    return render(request, "ugc/work_detail.html", context, status=status)


def _captions_refused(message: str) -> CaptionsForm:
    """A captions form showing ``message`` on its file field."""
    form = CaptionsForm(data={}, files={})
    form.is_valid()
    form.errors["captions"] = form.error_class([message])
    return form


def work_status(request: HttpRequest, pk) -> HttpResponse:
    """The state and media of a work, polled by its page while the file is being processed.

    The fragment stops asking once processing has settled, so a finished work costs nothing.
    While nothing has changed since the status the page shows (``seen``) the answer is 204 and
    htmx swaps nothing, so the page's polite live region announces only real changes.
    """
    work = _visible_or_404(request, pk)
    if request.GET.get("seen") == work.asset.status:
        return HttpResponse(status=204)
    return render(request, "ugc/_work_media.html", _media_context(request, work))


def profile(request: HttpRequest, user_id: int) -> HttpResponse:
    owner = get_object_or_404(User, pk=user_id, is_active=True)
    works = selectors.published_works_of(owner=owner)
    if not works.exists():
        raise Http404
    return render(request, "ugc/profile.html", {"owner": owner, "works": works})


@login_required
@require_http_methods(["GET", "POST"])
def my_works(request: HttpRequest) -> HttpResponse:
    form = CollectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_collection(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("title", error_text(error))
        else:
            messages.success(request, _("The collection has been created."))
            return redirect("ugc:mine")
    context = {
        "works": selectors.works_of(owner=request.user),
        "collections": selectors.collections_of(owner=request.user),
        "collection_form": form,
    }
    return render(request, "ugc/my_works.html", context)


def collection_detail(request: HttpRequest, collection_id: int) -> HttpResponse:
    collection = get_object_or_404(Collection.objects.select_related("owner"), pk=collection_id)
    works = selectors.published_in_collection(collection=collection)
    is_owner = request.user.is_authenticated and collection.owner_id == request.user.pk
    if not is_owner and not works.exists():
        raise Http404
    context = {"collection": collection, "works": works}
    return render(request, "ugc/collection.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def new_work(request: HttpRequest) -> HttpResponse:
    form = NewWorkForm(request.POST or None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            work = services.create_work(
                user=request.user,
                upload_id=data["upload"],
                title=data["title"],
                description=data["description"],
                licence=data["licence"],
                language=data["language"],
                tags=data["tags"],
                collection=data["collection"],
            )
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Your work has been uploaded and is being processed."))
            return redirect("ugc:work", pk=work.pk)
    context = {
        "form": form,
        "upload_settings": upload_settings(),
        "accept": ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS),
    }
    return render(request, "ugc/new_work.html", context)


def _own_work(request: HttpRequest, pk) -> Work:
    work = get_object_or_404(Work.objects.select_related("asset"), pk=pk)
    if work.owner_id != request.user.pk:
        raise Http404
    return work


@login_required
@require_http_methods(["GET", "POST"])
def edit_work(request: HttpRequest, pk) -> HttpResponse:
    work = _own_work(request, pk)
    form = WorkForm(request.POST or None, instance=work, owner=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.update_work(work=Work.objects.get(pk=work.pk), user=request.user, **data)
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect("ugc:work", pk=work.pk)
    return render(request, "ugc/edit_work.html", {"form": form, "work": work})


@login_required
@require_POST
def upload_captions(request: HttpRequest, pk) -> HttpResponse:
    work = _own_work(request, pk)
    form = CaptionsForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError(_("Please choose a captions file."))
        upload = form.cleaned_data["captions"]
        services.set_captions(work=work, user=request.user, data=upload.read(2 * 1024 * 1024))
    except ValidationError as error:
        refused = _captions_refused(error_text(error))
        return _detail_page(request, work, status=422, captions_form=refused)
    messages.success(request, _("The captions have been added."))
    return redirect("ugc:work", pk=work.pk)


@login_required
@require_http_methods(["GET", "POST"])
def delete_work(request: HttpRequest, pk) -> HttpResponse:
    work = _own_work(request, pk)
    if request.method == "POST":
        services.delete_work(work=work, user=request.user)
        messages.success(request, _("The work and all its files have been deleted."))
        return redirect("ugc:mine")
    return render(request, "ugc/delete_work.html", {"work": work})


@login_required
@require_POST
def submit_work(request: HttpRequest, pk) -> HttpResponse:
    work = _own_work(request, pk)
    try:
        services.submit_for_review(work=work, user=request.user)
    except ValidationError as error:
        if error.code == "captions_required":
            refused = _captions_refused(error_text(error))
            return _detail_page(request, work, status=422, captions_form=refused)
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Submitted. A librarian will review your work soon."))
    return redirect("ugc:work", pk=work.pk)


@login_required
@require_POST
def withdraw_work(request: HttpRequest, pk) -> HttpResponse:
    work = _own_work(request, pk)
    try:
        services.withdraw(work=work, user=request.user)
        messages.success(request, _("The work is private again."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("ugc:work", pk=work.pk)


@login_required
@require_POST
def report_work(request: HttpRequest, pk) -> HttpResponse:
    work = _visible_or_404(request, pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Please say what is wrong with this work."))
        services.report(work=work, reporter=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Thank you. A librarian will look at your report."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("ugc:work", pk=work.pk)


@permission_required("ugc.moderate_work", raise_exception=True)
def moderation_queue(request: HttpRequest) -> HttpResponse:
    context = {"works": selectors.moderation_queue(), "reported": selectors.reported_works()}
    return render(request, "ugc/moderation_queue.html", context)


@permission_required("ugc.moderate_work", raise_exception=True)
@require_POST
def moderate(request: HttpRequest, pk) -> HttpResponse:
    work = get_object_or_404(Work, pk=pk)
    form = ModerationForm(request.POST, state=work.state)
    if not form.is_valid():
        return _detail_page(request, work, status=422, moderation_form=form)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    try:
        services.moderate(work=work, moderator=request.user, action=action, reason=reason)
    except ValidationError as error:
        # Shown again with the decision kept: a missing reason beside the reason field.
        form.add_error("reason" if error.code == "reason_required" else None, error_text(error))
        return _detail_page(request, work, status=422, moderation_form=form)
    messages.success(request, _("Done: the reader has been told."))
    return redirect("ugc:moderation")


@login_required
@require_POST
def favourite(request: HttpRequest, pk) -> HttpResponse:
    work = _visible_or_404(request, pk)
    try:
        is_favourite = services.toggle_favourite(work=work, user=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("ugc:work", pk=work.pk)
    context = {
        "work": work,
        "is_favourite": is_favourite,
        "favourite_count": work.favourites.count(),
    }
    if request.htmx:
        return render(request, "ugc/_favourite.html", context)
    return redirect("ugc:work", pk=work.pk)


@login_required
@require_POST
def comment(request: HttpRequest, pk) -> HttpResponse:
    work = _visible_or_404(request, pk)
    form = CommentForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("The comment is empty."))
        services.add_comment(work=work, author=request.user, body=form.cleaned_data["body"])
        messages.success(request, _("Your comment has been posted."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect(f"{reverse('ugc:work', args=[work.pk])}#comments")


@login_required
@require_POST
def hide_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    target = get_object_or_404(Comment, pk=comment_id)
    services.hide_comment(
        comment=target, moderator=request.user, reason=request.POST.get("reason", "")
    )
    return redirect(f"{reverse('ugc:work', args=[target.work_id])}#comments")


@login_required
@require_POST
def delete_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    target = get_object_or_404(Comment, pk=comment_id)
    if target.author_id != request.user.pk and not request.user.has_perm("ugc.moderate_work"):
        raise Http404
    services.delete_comment(comment=target, user=request.user)
    return redirect(f"{reverse('ugc:work', args=[target.work_id])}#comments")
