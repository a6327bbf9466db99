from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def h5p_player(context, activity) -> str:
    """The H5P player for ``activity``, tied to the lesson being shown (for its score)."""
    from courses.h5p.views import player_context
    from courses.models import LessonPage

    request = context["request"]
    if activity is None or activity.status != activity.Status.READY:
        return render_to_string("courses/_h5p_unavailable.html", {"activity": activity})
    page = context.get("page")
    lesson = page if isinstance(page, LessonPage) else None
    data = player_context(request, activity, lesson)
    data["player_id"] = f"h5p-config-{activity.pk}"
    return render_to_string("courses/_h5p.html", data, request=request)


@register.filter
def learning_time(seconds) -> str:
    """Learning time for people: seconds under a minute (so a short lesson never reads as
    "0 minutes"), then minutes, then hours and minutes."""
    from django.utils.translation import ngettext

    seconds = int(seconds or 0)
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = round(seconds / 60)
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours, rest = divmod(minutes, 60)
    text = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    if rest:
        text += " " + ngettext("%(count)d minute", "%(count)d minutes", rest) % {"count": rest}
    return text
