"""Site search: learning paths, courses, modules and lessons (the learning centre too).

A lesson is indexed by its title, summary and text blocks only: quiz blocks hold the answers,
which are marked on the server and must never reach a visitor, not even as a snippet.
"""

from core.models import SearchKind
from core.search import Document, Source, register, stream_text


def learning_document(page) -> Document | None:
    parts = [getattr(page, "introduction", ""), getattr(page, "summary", "")]
    if page._meta.model_name == "lessonpage":
        parts.append(stream_text(page.body.raw_data, only=("paragraph",)))
    text = " ".join(part for part in parts if part)
    return Document(title=page.title, url=page.get_url() or "", text=text)


for model in (
    "courses.LearningIndexPage",
    "courses.LearningPathPage",
    "courses.CoursePage",
    "courses.ModulePage",
    "courses.LessonPage",
    "courses.H5PPage",
):
    register(Source(kind=SearchKind.LEARNING, model=model, document=learning_document, pages=True))
