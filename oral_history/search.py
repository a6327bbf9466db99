"""Site search: interview records of 辽海往事 that an anonymous visitor may see.

Which records that is comes from the archive's own ``selectors.visible_interviews`` (published,
not withdrawn, not restricted). Only the record is indexed here (title, summary, narrators'
public names, places, subjects, keywords): transcripts and index segments have access levels
per reader (grants, embargoes), so the site search asks the archive's own search for those, as
the reader (``core.selectors.site_search``).
"""

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from core.models import SearchKind
from core.search import Document, Extra, Source, register

from . import selectors

# How many interviews found in transcripts join the site search's results.
EXTRA_LIMIT = 20


def interview_document(interview) -> Document:
    keywords = [
        *interview.keywords,
        *(n.public_name for n in interview.narrators.all()),
        *(p.name for p in interview.places.all()),
        *(s.name for s in interview.subjects.all()),
        interview.collection.name if interview.collection_id else "",
    ]
    return Document(
        title=interview.title,
        url=reverse("oral_history:interview", kwargs={"pk": interview.pk}),
        text=interview.summary,
        keywords=" ".join(k for k in keywords if k),
    )


def _interviews_of(related) -> list:
    return list(related.interviews.all())


def transcript_hits(user, query: str) -> dict[str, Extra]:
    """Interviews whose transcript or index this reader may search and that match ``query``,
    with the archive's own snippet and a link that starts playback there."""
    found: dict[str, Extra] = {}
    for hit in selectors.search(user, query, limit=EXTRA_LIMIT):
        url = reverse("oral_history:interview", kwargs={"pk": hit.interview.pk})
        snippet = hit.snippets[0] if hit.snippets else None
        if snippet is None:
            continue
        _kind, seconds, html = snippet
        if seconds is not None:
            url = f"{url}?t={seconds:.0f}#player"
        found[str(hit.interview.pk)] = Extra(snippet=html, url=url)
    return found


register(
    Source(
        kind=SearchKind.ARCHIVE,
        model="oral_history.Interview",
        visible=lambda: selectors.visible_interviews(AnonymousUser()),
        document=interview_document,
        reader_hits=transcript_hits,
        m2m=("narrators", "places", "subjects"),
        related={
            "oral_history.Narrator": _interviews_of,
            "oral_history.Collection": _interviews_of,
        },
    )
)
