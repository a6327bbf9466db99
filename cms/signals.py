"""Drop the kept copies (the home page's "what is on", navigation and footer links) as soon
as a row they show changes.

The copy lives for a few seconds at most anyway (``selectors.WHATS_ON_SECONDS``); this makes a
librarian's or a reader's change show at once. Bulk ``update()`` calls send no signal and wait
for the copy to expire.
"""

from django.apps import apps
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

WATCHED = [
    ("booking", "Event"),
    ("booking", "Booking"),
    ("makerspace", "Printer"),
    ("oral_history", "Interview"),
    ("ugc", "Work"),
    ("ugc", "Favourite"),
    ("cms", "OpeningHoursDay"),
]
# The links' own copy: only their rows and the pages they point to. (Not the settings rows:
# the copy is keyed by the settings' id, and a settings row created by a page's first request
# would otherwise drop the copy that request had just made.)
LINKS = [
    ("cms", "NavigationItem"),
    ("cms", "FooterLink"),
]


def _forget_whats_on(**kwargs) -> None:
    from .selectors import forget

    forget()


def _forget_links(**kwargs) -> None:
    from .selectors import LINKS_GENERATION_KEY, forget

    forget(LINKS_GENERATION_KEY)


def _forget_both(**kwargs) -> None:
    _forget_whats_on()
    _forget_links()


def connect() -> None:
    for models, receiver in ((WATCHED, _forget_whats_on), (LINKS, _forget_links)):
        for app_label, model_name in models:
            model = apps.get_model(app_label, model_name)
            uid = f"cms-home-{app_label}-{model_name}"
            post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}-save", weak=False)
            post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}-delete", weak=False)
    # Learning paths are pages, and links point to pages: publishing or unpublishing one
    # changes both.
    page_published.connect(_forget_both, dispatch_uid="cms-home-published", weak=False)
    page_unpublished.connect(_forget_both, dispatch_uid="cms-home-unpublished", weak=False)
