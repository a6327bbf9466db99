"""Site search: upcoming events with places, and the resources readers may book.

Visibility comes from this app's own selectors (``bookable_resources``: active and not staff
only; ``upcoming_events``: not cancelled, not started). An event's entry hides itself once the
event starts (``hidden_after``), so no job has to remove it.
"""

from django.urls import reverse
from django.utils import formats, timezone

from core.models import SearchKind
from core.search import Document, Source, register

from . import selectors


def resource_document(resource) -> Document:
    keywords = " ".join(
        str(part) for part in (resource.location.name, resource.category.name) if part
    )
    return Document(
        title=resource.name,
        url=reverse("booking:resource", kwargs={"slug": resource.slug}),
        text=resource.description,
        keywords=keywords,
    )


def event_document(event) -> Document:
    starts = formats.date_format(timezone.localtime(event.starts_at), "Y-m-d H:i")
    return Document(
        title=event.title,
        url=reverse("booking:event", kwargs={"pk": event.pk}),
        text=f"{starts} {event.location.name} {event.description}".strip(),
        keywords=event.get_kind_display(),
        hidden_after=event.starts_at,
    )


register(
    Source(
        kind=SearchKind.BOOKING,
        model="booking.Resource",
        visible=lambda: selectors.bookable_resources(),
        document=resource_document,
    )
)
register(
    Source(
        kind=SearchKind.BOOKING,
        model="booking.Event",
        visible=lambda: selectors.upcoming_events(),
        document=event_document,
    )
)
