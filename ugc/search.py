"""Site search: readers' works, published ones only (``selectors.gallery``, as the gallery).

Tags are searched too; the owner's name is not (a reader's name is theirs to show on the work's
own page, not to be found by).
"""

from django.urls import reverse

from core.models import SearchKind
from core.search import Document, Source, register

from . import selectors


def work_document(work) -> Document:
    return Document(
        title=work.title,
        url=reverse("ugc:work", kwargs={"pk": work.pk}),
        text=work.description,
        keywords=" ".join(tag.name for tag in work.tags.all()),
    )


register(
    Source(
        kind=SearchKind.WORK,
        model="ugc.Work",
        visible=lambda: selectors.gallery(),
        document=work_document,
        m2m=("tags",),
    )
)
