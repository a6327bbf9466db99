from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from oral_history.models import AccessLevel, Consent

register = template.Library()


@register.filter
def timecode(seconds) -> str:
    """Seconds as h:mm:ss or m:ss, as readers see times in the player."""
    try:
        total = int(float(seconds))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# --- The desk in words ------------------------------------------------------------------------
# The audit trail stores stable codes (``redaction_added``, ``online``); archivists read them in
# their own language here. A code we do not know is shown as it is rather than hidden.

_ACTIONS = {
    "transcript_saved": _("Transcript saved"),
    "redaction_added": _("Range redacted"),
    "redaction_removed": _("Redaction removed"),
    "recording_added": _("Recording uploaded"),
    "access_changed": _("Access level changed"),
    "part_access_changed": _("Access to one part changed"),
    "access_requested": _("Access requested"),
    "access_granted": _("Access granted"),
    "access_declined": _("Access request declined"),
    "access_revoked": _("Access revoked"),
    "takedown_received": _("Withdrawal request received"),
    "withdrawn": _("Interview withdrawn"),
    "takedown_declined": _("Withdrawal request declined"),
    "consent_recorded": _("Consent recorded"),
    "ohms_imported": _("OHMS file imported"),
}
_PARTS = {
    "interviewmedia": pgettext_lazy("archive part", "Recording"),
    "transcript": _("Transcript"),
    "indexsegment": _("Index segment"),
}
# Internal ids (requests, consents, recordings) and the repairs listed above the table.
_HIDDEN = {"request", "consent", "media", "warnings", "start", "end"}


def _level(value) -> str:
    try:
        return str(AccessLevel(value).label)
    except ValueError:
        return str(value)


def _day(value) -> str:
    text = str(value or "")
    return text[:10] if text else ""


def _with_until(level, until) -> str:
    return f"{_level(level)}（{_day(until)}）" if until else _level(level)


@register.filter
def consent_scopes(codes) -> str:
    """A consent's scope codes as the words the consent form uses."""
    labels = dict(Consent.Scope.choices)
    return "、".join(str(labels.get(code, code)) for code in codes or [])


@register.filter
def audit_action(code: str) -> str:
    return str(_ACTIONS.get(code, code))


@register.filter
def audit_details(detail: dict) -> list[tuple[str, str]]:
    """An audit entry's details as (label, value) pairs in words."""
    detail = detail or {}
    pairs: list[tuple[str, str]] = []
    if "start" in detail and "end" in detail:
        pairs.append((_("Range"), f"{timecode(detail['start'])}–{timecode(detail['end'])}"))
    for key, value in detail.items():
        if key in _HIDDEN:
            continue
        if key in ("before", "after") and isinstance(value, list | tuple):
            label = _("Before") if key == "before" else _("After")
            pairs.append((label, _with_until(value[0], value[1] if len(value) > 1 else "")))
        elif key == "after":
            pairs.append((_("After"), _with_until(value, detail.get("until"))))
        elif key == "until":
            if "after" not in detail:
                pairs.append((_("Until"), _day(value)))
        elif key == "part":
            pairs.append((_("Part"), str(_PARTS.get(str(value).split(":")[0], value))))
        elif key == "scope":
            pairs.append((_("Scope of use"), consent_scopes(value)))
        elif key == "cues":
            pairs.append((_("Transcript lines"), str(value)))
        elif key == "created":
            pairs.append((_("Interview record"), _("created") if value else _("updated")))
        elif key == "points":
            pairs.append((_("Map points"), str(value)))
        elif key == "repairs":
            pairs.append((_("Repairs"), str(value)))
        elif key in ("reason", "note", "resolution"):
            if value:
                labels = {"reason": _("Reason"), "note": _("Note"), "resolution": _("Resolution")}
                pairs.append((labels[key], str(value)))
        else:
            pairs.append((key, str(value)))
    return pairs
