from django import template

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
