"""Site search: the maker-space catalogue of equipment and studios (all of it is public)."""

from django.urls import reverse

from core.models import SearchKind
from core.search import Document, Source, register

from . import selectors


def equipment_document(item) -> Document:
    return Document(
        title=item.name,
        url=reverse("makerspace:equipment", kwargs={"slug": item.slug}),
        text=item.description,
        keywords=" ".join(str(p) for p in (item.get_kind_display(), item.room) if p),
    )


register(
    Source(
        kind=SearchKind.EQUIPMENT,
        model="makerspace.Equipment",
        visible=lambda: selectors.equipment_list(),
        document=equipment_document,
    )
)
