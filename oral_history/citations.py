"""How to cite an interview: GB/T 7714-2015 and Chicago (17th ed., notes-bibliography).

GB/T 7714 is the Chinese convention, and its entry is in Chinese (names, titles and the
publisher as they are, Chinese wording for roles). Chicago is an English-language convention
with no Chinese form, so its entry stays in English on every page and is marked as English;
``for_page`` puts the convention of the page's language first and labels the other."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Interview

REPOSITORY_ZH = "辽宁省图书馆"
REPOSITORY_EN = "Liaoning Provincial Library"
COLLECTION_EN = "Liaohai Memories Oral History Collection"
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]  # fmt: skip


def _narrators(interview: Interview) -> list[str]:
    return [n.public_name for n in interview.narrators.all()]


def gbt7714(interview: Interview, url: str, *, accessed: dt.date | None = None) -> str:
    """GB/T 7714-2015, with [Z/OL] (other, online) as the standard has no oral-history type."""
    accessed = accessed or timezone.localdate()
    # The standard separates names, and a name from its role, with ", " (e.g. "谢远涛, 译").
    people = ", ".join(_narrators(interview)) or "佚名"
    interviewers = ", ".join(interview.interviewers)
    by = f"{interviewers}, 采访" if interviewers else ""
    date = interview.interview_date.isoformat() if interview.interview_date else "出版日期不详"
    parts = [f"{people}. {interview.title}[Z/OL]. "]
    if by:
        parts.append(f"{by}. ")
    parts.append(f"沈阳: {REPOSITORY_ZH}, {date}[{accessed.isoformat()}]. {url}.")
    return "".join(parts)


def chicago(interview: Interview, url: str) -> str:
    """Chicago bibliography entry for an interview in an archive."""
    people = ", ".join(_narrators(interview)) or "Anonymous"
    parts = [f"{people}. “{interview.title}.”"]
    if interview.interviewers:
        parts.append(f" Interview by {', '.join(interview.interviewers)}.")
    when = interview.interview_date
    if when:
        parts.append(f" {_MONTHS[when.month - 1]} {when.day}, {when.year}.")
    parts.append(
        f" {COLLECTION_EN}, {interview.accession_number}. {REPOSITORY_EN}, Shenyang. {url}."
    )
    return "".join(parts)


def for_page(interview: Interview, url: str, *, language: str) -> list[dict[str, str]]:
    """The citations an interview page shows, the page language's own convention first. Each
    carries the language it is written in, so the page can mark it (``lang``) for readers and
    screen readers; the page also marks citations ``translate="no"``, since a browser's
    translation would spoil text that is meant to be copied as it is."""
    gbt = {"label": "GB/T 7714", "text": gbt7714(interview, url), "lang": "zh-Hans",
           "label_is_a_name": True}  # fmt: skip
    chicago_entry = {"label": _("Chicago (in English)"), "text": chicago(interview, url),
                     "lang": "en"}  # fmt: skip
    if language.lower().startswith("zh"):
        return [gbt, chicago_entry]
    return [chicago_entry, gbt]
