"""Telling makers what happened to their print and studio jobs: a notice on their
notifications page and an e-mail, both in the maker's own language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.services import notify
from core.siteurl import absolute

from .models import JobStatus, PrintJob, StudioJob


def _messages(job: PrintJob) -> dict[str, str]:
    names = {"title": job.title, "reason": job.reason}
    return {
        JobStatus.QUEUED: _("Your print “%(title)s” was approved and is in the queue.") % names,
        JobStatus.REJECTED: _("Your print “%(title)s” was not approved: %(reason)s") % names,
        JobStatus.PRINTING: _("Your print “%(title)s” has started.") % names,
        JobStatus.DONE: _("Your print “%(title)s” is finished and ready to collect.") % names,
        JobStatus.FAILED: _("Your print “%(title)s” failed: %(reason)s") % names,
        JobStatus.INTERRUPTED: _("Your print “%(title)s” was interrupted: %(reason)s") % names,
    }


def _send(*, user, text: str, url: str) -> None:
    notify(user=user, message=text, url=url)
    if user.email:
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + text[:80]
        body = f"{text}\n\n{absolute(url)}"
        transaction.on_commit(lambda: EmailMessage(subject, body, None, [user.email]).send())


def job_changed(job: PrintJob) -> None:
    """Called in the transaction that moved the job; the e-mail goes out once it commits."""
    user = job.owner
    with translation.override(user.language or settings.LANGUAGE_CODE):
        text = _messages(job).get(job.status)
        if text:
            _send(user=user, text=text, url=reverse("makerspace:job", args=[job.pk]))


def studio_job_changed(job: StudioJob) -> None:
    user = job.owner
    with translation.override(user.language or settings.LANGUAGE_CODE):
        if job.status == "done":
            text = _("Your studio recording “%(title)s” is ready in your works.") % {
                "title": job.title
            }
        elif job.status == "failed":
            text = _("Your studio recording “%(title)s” could not be processed: %(reason)s") % {
                "title": job.title,
                "reason": job.failure_reason,
            }
        else:
            return
        _send(user=user, text=text, url=reverse("makerspace:studio-job", args=[job.pk]))
