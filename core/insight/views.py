"""The privacy page and a reader's own data: thin views over services and selectors."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
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
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.request_export(user=request.user)
        messages.success(
            request,
            _("We are preparing a copy of your data. You will be notified when it is ready."),
        )
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
