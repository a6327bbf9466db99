"""Site search: every live, public page that no other app's source claims is a "page" entry."""

from core.models import SearchKind
from core.search import Document, Source, register, stream_text


def page_document(page) -> Document | None:
    text = " ".join(
        part
        for part in (
            getattr(page, "hero_text", ""),
            getattr(page, "introduction", ""),
            page.search_description,
            stream_text(getattr(getattr(page, "body", None), "raw_data", None)),
        )
        if part
    )
    return Document(title=page.title, url=page.get_url() or "", text=text)


register(Source(kind=SearchKind.PAGE, model="wagtailcore.Page", document=page_document, pages=True))
