"""What the activity record holds: each kind of event, the module it belongs to, and why it is
kept. The privacy page is generated from this catalogue and the retention settings, so what
readers are told is what the code does."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    module: str
    label: Promise
    purpose: Promise


MODULES: dict[str, Promise] = {
    "site": _("Website"),
    "learning": _("Learning"),
    "booking": _("Bookings and events"),
    "makerspace": _("Maker space"),
    "works": _("Readers' works"),
    "archive": _("Liaohai Memories archive"),
}

_SERVICE = _("to plan services and report the library's annual statistics")
_REVIEW = _("for your own year in review and suggestions")

_KINDS = [
    Kind("page.viewed", "site", _("a page of the website was opened"), _SERVICE),
    Kind(
        "site.searched", "site", _("a search of the website, with the words searched for"), _SERVICE
    ),
    Kind("lesson.viewed", "learning", _("a lesson was opened"), _REVIEW),
    Kind("course.enrolled", "learning", _("enrolment in a course"), _REVIEW),
    Kind("lesson.completed", "learning", _("a lesson was completed"), _REVIEW),
    Kind("course.completed", "learning", _("a course was completed"), _REVIEW),
    Kind("badge.issued", "learning", _("a badge was awarded"), _REVIEW),
    Kind("certificate.issued", "learning", _("a certificate was issued"), _REVIEW),
    Kind("booking.created", "booking", _("a booking or event place was taken"), _REVIEW),
    Kind(
        "booking.refused",
        "booking",
        _("a booking was refused, with the rule that refused it"),
        _SERVICE,
    ),
    Kind(
        "booking.cancelled",
        "booking",
        _("a booking was cancelled, and whether it was late"),
        _SERVICE,
    ),
    Kind("booking.declined", "booking", _("staff declined a booking request"), _SERVICE),
    Kind("booking.checked_in", "booking", _("arrival was checked in"), _REVIEW),
    Kind("booking.no_show", "booking", _("a booking was not attended"), _SERVICE),
    Kind("waitlist.joined", "booking", _("a place on a waiting list"), _SERVICE),
    Kind(
        "waitlist.offered",
        "booking",
        _("a freed place was offered from the waiting list"),
        _SERVICE,
    ),
    Kind("print.submitted", "makerspace", _("a 3D print was submitted"), _REVIEW),
    Kind("print.decided", "makerspace", _("staff approved or rejected a 3D print"), _SERVICE),
    Kind(
        "print.started",
        "makerspace",
        _("a 3D print started on a printer, and how long after its approval"),
        _SERVICE,
    ),
    Kind(
        "print.finished",
        "makerspace",
        _("a 3D print ended: printed, failed or cancelled, with its hours and material"),
        _REVIEW,
    ),
    Kind("studio.processed", "makerspace", _("a studio recording was processed"), _REVIEW),
    Kind("work.uploaded", "works", _("a work was uploaded"), _REVIEW),
    Kind(
        "work.moderated",
        "works",
        _("a moderator's decision on a work, and how long it took"),
        _SERVICE,
    ),
    Kind("work.reported", "works", _("a work was reported"), _SERVICE),
    Kind("work.viewed", "works", _("a published work was viewed"), _REVIEW),
    Kind("interview.played", "archive", _("an interview recording was played"), _REVIEW),
    Kind(
        "archive.searched",
        "archive",
        _("a search of the archive, with the words searched for"),
        _SERVICE,
    ),
    Kind(
        "access.requested", "archive", _("access to a restricted interview was requested"), _SERVICE
    ),
    Kind(
        "access.decided",
        "archive",
        _("an access request was decided, and how long it took"),
        _SERVICE,
    ),
]

KINDS: dict[str, Kind] = {kind.code: kind for kind in _KINDS}


def kinds_of(module: str) -> list[Kind]:
    return [kind for kind in _KINDS if kind.module == module]
