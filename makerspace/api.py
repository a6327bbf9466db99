"""JSON for the maker's own jobs and, for technicians, the farm's live state (the dashboard
and the studio computer can poll these)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from booking.api import api_login_required

from . import selectors
from .models import PrintJob


def _job(job: PrintJob) -> dict:
    return {
        "id": str(job.pk),
        "title": job.title,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "printer": str(job.printer) if job.printer_id else None,
        "progress": job.progress,
        "seconds_left": job.seconds_left,
        "estimated_seconds": job.estimated_seconds,
        "filament_g": float(job.filament_g) if job.filament_g is not None else None,
        "reason": job.reason,
        "submitted_at": job.submitted_at.isoformat() if job.submitted_at else None,
    }


@require_GET
@api_login_required
def jobs(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"jobs": [_job(job) for job in selectors.jobs_of(request.user)[:100]]})


@require_GET
@api_login_required
def farm(request: HttpRequest) -> JsonResponse:
    if not request.user.has_perm("makerspace.run_print_farm"):
        raise PermissionDenied
    printers = selectors.farm()
    return JsonResponse(
        {
            "printers": [
                {
                    "id": printer.pk,
                    "name": str(printer),
                    "state": printer.state,
                    "state_text": printer.state_text,
                    "material": printer.material,
                    "colour": printer.colour,
                    "cleared": printer.is_cleared,
                    "needs_attention": printer.needs_attention,
                    "utilisation_percent": round(printer.utilisation, 1),
                    "job": _job(printer.current_job) if printer.current_job else None,
                    "next": [str(job.pk) for job in printer.next_jobs],
                }
                for printer in printers
            ],
            "queued": selectors.queue().count(),
            "paused": selectors.queue_paused(),
        }
    )
