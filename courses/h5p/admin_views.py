"""The administrator's review of held H5P packages (Wagtail admin pages)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import error_text

from ..models import H5PContent
from . import review


def _administrator(request: HttpRequest) -> None:
    if not request.user.has_perm(review.INSTALL_PERMISSION):
        raise PermissionDenied


def review_list(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    held = H5PContent.objects.filter(status=H5PContent.Status.HELD).select_related("uploaded_by")
    decided = (
        H5PContent.objects.filter(reviewed_at__isnull=False)
        .select_related("reviewed_by")
        .order_by("-reviewed_at")[:20]
    )
    return render(
        request, "courses/admin/h5p_review.html", {"held": held.order_by("created_at"),
                                                    "decided": decided}
    )  # fmt: skip


@require_POST
def decide(request: HttpRequest, content_id) -> HttpResponse:
    _administrator(request)
    content = get_object_or_404(H5PContent, pk=content_id)
    try:
        if request.POST.get("decision") == "approve":
            review.approve(content=content, user=request.user)
            messages.success(
                request,
                _("The libraries of “%(title)s” are installed; the activity can be played.")
                % {"title": content.title},
            )
        else:
            review.refuse(content=content, user=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("“%(title)s” was refused.") % {"title": content.title})
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("courses_h5p_review")
