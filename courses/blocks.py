"""Lesson body blocks. Quizzes keep their answers on the server: the template shows only the
questions and choices, and ``services.score_quiz`` marks what the learner sends."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from cms.blocks import RICH_TEXT_FEATURES, AccessibleImageBlock


class MediaBlock(blocks.StructBlock):
    media = SnippetChooserBlock("courses.LearningMedia", label=_("Video or audio"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=200)

    class Meta:
        icon = "media"
        label = _("Video or audio")
        template = "courses/blocks/media.html"


class DownloadBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    description = blocks.CharBlock(label=_("Description"), required=False, max_length=200)

    class Meta:
        icon = "doc-full"
        label = _("Downloadable document")
        template = "courses/blocks/download.html"


class ChoiceBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Choice"), max_length=200)
    correct = blocks.BooleanBlock(label=_("Correct"), required=False)


class QuestionBlock(blocks.StructBlock):
    prompt = blocks.CharBlock(label=_("Question"), max_length=300)
    kind = blocks.ChoiceBlock(
        label=_("Kind"),
        choices=[
            ("single", _("One answer")),
            ("multiple", _("Several answers")),
            ("true_false", _("True or false")),
        ],
        default="single",
    )
    choices = blocks.ListBlock(ChoiceBlock(), label=_("Choices"), min_num=2, max_num=8)
    explanation = blocks.TextBlock(label=_("Explanation shown after answering"), required=False)

    def clean(self, value):
        value = super().clean(value)
        correct = sum(1 for choice in value["choices"] if choice["correct"])
        if correct == 0 or (value["kind"] != "multiple" and correct != 1):
            raise StructBlockValidationError(
                block_errors={
                    "choices": ValidationError(
                        _("Mark exactly one correct choice (or at least one for several answers).")
                    )
                }
            )
        return value


class QuizBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=120)
    questions = blocks.ListBlock(QuestionBlock(), label=_("Questions"), min_num=1)

    class Meta:
        icon = "help"
        label = _("Quiz")
        template = "courses/blocks/quiz.html"


class ExternalLinkBlock(blocks.StructBlock):
    url = blocks.URLBlock(label=_("Address"))
    title = blocks.CharBlock(label=_("Title"), max_length=120)
    description = blocks.CharBlock(label=_("Description"), required=False, max_length=200)

    class Meta:
        icon = "link-external"
        label = _("External link")
        template = "courses/blocks/external_link.html"


class SessionBlock(blocks.StructBlock):
    """An in-person class: an event of the booking engine, booked there."""

    event = SnippetChooserBlock("booking.Event", label=_("Event"))
    note = blocks.CharBlock(label=_("Note"), required=False, max_length=200)

    class Meta:
        icon = "date"
        label = _("In-person session")
        template = "courses/blocks/session.html"


class UUIDSnippetChooserBlock(SnippetChooserBlock):
    """Wagtail looks stored ids up in ``in_bulk``'s dict, whose keys are UUID objects while
    the stream stores strings; compare them as strings so UUID snippets are found."""

    def bulk_to_python(self, values):
        found = {str(pk): obj for pk, obj in self.model_class.objects.in_bulk(values).items()}
        return [found.get(str(value)) for value in values]


class H5PBlock(blocks.StructBlock):
    """An interactive H5P activity; its score can complete the lesson (criterion "score")."""

    activity = UUIDSnippetChooserBlock("courses.H5PContent", label=_("H5P activity"))

    class Meta:
        icon = "pick"
        label = _("H5P activity")
        template = "courses/blocks/h5p.html"


class LessonBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(label=_("Text"), features=RICH_TEXT_FEATURES)
    media = MediaBlock()
    image = AccessibleImageBlock()
    download = DownloadBlock()
    quiz = QuizBlock()
    link = ExternalLinkBlock()
    session = SessionBlock()
    h5p = H5PBlock()
