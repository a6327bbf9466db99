"""Display preferences (large text, high contrast) shared by the middleware, views and templates.

Signed-in readers keep them on their account; visitors keep them in a cookie, so a senior reader
using a shared library terminal gets large text without having an account.
"""

from dataclasses import dataclass

from django.http import HttpRequest

DISPLAY_COOKIE = "liaotu_display"
DISPLAY_COOKIE_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class DisplayPreferences:
    large_text: bool = False
    high_contrast: bool = False

    def to_cookie(self) -> str:
        return ",".join(name for name in ("large_text", "high_contrast") if getattr(self, name))

    @classmethod
    def from_cookie(cls, value: str | None) -> "DisplayPreferences":
        flags = set((value or "").split(","))
        return cls(large_text="large_text" in flags, high_contrast="high_contrast" in flags)

    @property
    def css_classes(self) -> str:
        classes = []
        if self.large_text:
            classes.append("large-text")
        if self.high_contrast:
            classes.append("high-contrast")
        return " ".join(classes)


def display_preferences_for(request: HttpRequest) -> DisplayPreferences:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return DisplayPreferences(large_text=user.large_text, high_contrast=user.high_contrast)
    return DisplayPreferences.from_cookie(request.COOKIES.get(DISPLAY_COOKIE))
