"""How to cite an interview: GB/T 7714-2015 and Chicago (17th ed., notes-bibliography)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

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
    people = "，".join(_narrators(interview)) or "佚名"
    interviewers = "，".join(interview.interviewers)
    by = f"{interviewers}，采访" if interviewers else ""
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
