"""IIIF Presentation 3.0 manifests: one Canvas per recording, with the Sound or Video painted on
it and the WebVTT transcript as a supplementing annotation.

Only parts the requesting user may access are listed, and the view answers 404 when there is
nothing to play, so a manifest never leads to restricted media. Every id is an absolute URL on
the public site (``SITE_URL``), whatever Host header the request carried, so the same manifest
has the same ids wherever it was fetched from.
"""

from __future__ import annotations

from django.urls import reverse

from core.siteurl import absolute

from . import selectors
from .models import Interview, InterviewMedia

CONTEXT = "http://iiif.io/api/presentation/3/context.json"


def _lang(value: str) -> dict:
    return {"zh-Hans": [value]}


def manifest(interview: Interview, items: list[InterviewMedia], *, transcript: bool) -> dict:
    def url(name: str, *args) -> str:
        return absolute(reverse(name, args=[interview.pk, *args]))

    base = url("oral_history:manifest")
    canvases = []
    for n, item in enumerate(items, start=1):
        canvas_id = f"{base}/canvas/{n}"
        duration = float(item.asset.probe.get("duration") or interview.duration_seconds or 1)
        video = item.asset.kind == "video"
        body = {
            "id": url("oral_history:media", item.pk),
            "type": "Video" if video else "Sound",
            "format": "video/mp4" if video else "audio/mp4",
            "duration": duration,
        }
        if video:
            body["width"] = int(item.asset.probe.get("width") or 1280)
            body["height"] = int(item.asset.probe.get("height") or 720)
        canvas = {
            "id": canvas_id,
            "type": "Canvas",
            "label": _lang(item.title or interview.title),
            "duration": duration,
            "items": [
                {
                    "id": f"{canvas_id}/page",
                    "type": "AnnotationPage",
                    "items": [
                        {
                            "id": f"{canvas_id}/page/painting",
                            "type": "Annotation",
                            "motivation": "painting",
                            "body": body,
                            "target": canvas_id,
                        }
                    ],
                }
            ],
        }
        if video:
            canvas["width"], canvas["height"] = body["width"], body["height"]
        if transcript and n == 1:
            canvas["annotations"] = [
                {
                    "id": f"{canvas_id}/supplementing",
                    "type": "AnnotationPage",
                    "items": [
                        {
                            "id": f"{canvas_id}/supplementing/vtt",
                            "type": "Annotation",
                            "motivation": "supplementing",
                            "body": {
                                "id": url("oral_history:transcript-vtt"),
                                "type": "Text",
                                "format": "text/vtt",
                                "language": "zh-Hans",
                                "label": _lang("文字稿"),
                            },
                            "target": canvas_id,
                        }
                    ],
                }
            ]
        canvases.append(canvas)
    narrators = "、".join(n.public_name for n in interview.narrators.all())
    metadata = [
        {"label": _lang("档案号"), "value": _lang(interview.accession_number)},
        {"label": _lang("受访人"), "value": _lang(narrators or "—")},
    ]
    if interview.interview_date:
        metadata.append(
            {"label": _lang("采访日期"), "value": _lang(interview.interview_date.isoformat())}
        )
    data = {
        "@context": CONTEXT,
        "id": base,
        "type": "Manifest",
        "label": _lang(interview.title),
        "summary": _lang(interview.summary or interview.title),
        "metadata": metadata,
        "requiredStatement": {
            "label": _lang("版权说明"),
            "value": _lang(interview.rights_statement or "辽宁省图书馆 辽海往事口述历史"),
        },
        "homepage": [
            {
                "id": url("oral_history:interview"),
                "type": "Text",
                "label": _lang(interview.title),
                "format": "text/html",
            }
        ],
        "items": canvases,
    }
    return data


def manifest_parts(user, interview: Interview) -> tuple[list[InterviewMedia], bool]:
    """The recordings ``user`` may play and whether the transcript may be shown with them."""
    items = selectors.playable_media(user, interview)
    transcript = getattr(interview, "transcript", None)
    return items, bool(transcript and selectors.part_available(user, interview, transcript))
