"""Staff and reader roles as Django groups, and the permissions each one carries.

The groups themselves are created by a data migration (0002); permissions are (re)applied after
every ``migrate`` because later apps add their models, and so their permissions, over time. To
give a role a new permission, add its ``app_label.codename`` here.
"""

from typing import Any

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import pgettext_lazy

READER = "reader"
MAKER = "maker"
TECHNICIAN = "technician"
MODERATOR = "moderator"
ARCHIVIST = "archivist"
LIBRARIAN_ADMIN = "librarian-admin"

ALL_ROLES = (READER, MAKER, TECHNICIAN, MODERATOR, ARCHIVIST, LIBRARIAN_ADMIN)
# What people see: the group names are codes, kept stable for permissions and fixtures.
ROLE_LABELS = {
    READER: pgettext_lazy("role", "Reader"),
    MAKER: pgettext_lazy("role", "Maker"),
    TECHNICIAN: pgettext_lazy("role", "Technician"),
    MODERATOR: pgettext_lazy("role", "Moderator"),
    ARCHIVIST: pgettext_lazy("role", "Archivist"),
    LIBRARIAN_ADMIN: pgettext_lazy("role", "Librarian (administrator)"),
}
# Roles whose members work in the Wagtail admin; their accounts are staff and need MFA.
STAFF_ROLES = (TECHNICIAN, MODERATOR, ARCHIVIST, LIBRARIAN_ADMIN)

_ADMIN_ACCESS = ["wagtailadmin.access_admin"]
_MEDIA_LIBRARY = [
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.choose_image",
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.choose_document",
]

# Running the booking desk: calendars, check-in, approvals, booking for readers, rule overrides.
_BOOKING_DESK = ["booking.manage_bookings", "booking.override_rules", "booking.view_booking"]
# Setting up what can be booked (snippets in the Wagtail admin).
_BOOKING_SETUP = [
    f"booking.{action}_{model}"
    for model in ("resource", "event", "eventseries", "qualification", "userqualification")
    for action in ("add", "change", "view")
]

# The archive desk: restricted records, masters, consent forms, access and takedown decisions,
# and editing the records (snippets in the Wagtail admin).
_ARCHIVE = [
    "oral_history.view_restricted_interview",
    "oral_history.manage_access",
    *[
        f"oral_history.{action}_{model}"
        for model in ("interview", "narrator", "collection", "series", "subject", "place",
                      "consent", "indexsegment", "interviewmedia")
        for action in ("add", "change", "view")
    ],
]  # fmt: skip

# Running learning: statistics, badges (and revoking them), topics and lesson media snippets.
_LEARNING = [
    "courses.view_stats",
    "courses.view_assertion",
    "courses.change_assertion",
    *[
        f"courses.{action}_{model}"
        for model in ("topic", "badgeclass", "learningmedia", "h5pcontent")
        for action in ("add", "change", "view")
    ],
]

# Running the maker space: the print farm, reviews, certifications and the studio desk, and
# setting up equipment, printers and trainings (snippets in the Wagtail admin).
_MAKERSPACE = [
    "makerspace.run_print_farm",
    *[
        f"makerspace.{action}_{model}"
        for model in ("equipment", "printer", "training")
        for action in ("add", "change", "view")
    ],
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    READER: [],
    MAKER: [],
    TECHNICIAN: [*_ADMIN_ACCESS, *_MEDIA_LIBRARY, *_BOOKING_DESK, *_BOOKING_SETUP, *_MAKERSPACE],
    MODERATOR: [*_ADMIN_ACCESS, *_MEDIA_LIBRARY, "ugc.moderate_work", "ugc.view_work"],
    ARCHIVIST: [*_ADMIN_ACCESS, *_MEDIA_LIBRARY, *_ARCHIVE],
    LIBRARIAN_ADMIN: [
        *_ADMIN_ACCESS,
        *_MEDIA_LIBRARY,
        "wagtailimages.delete_image",
        "wagtaildocs.delete_document",
        "wagtailcore.add_collection",
        "wagtailcore.change_collection",
        "wagtailredirects.add_redirect",
        "wagtailredirects.change_redirect",
        "wagtailredirects.delete_redirect",
        "cms.change_navigationsettings",
        "cms.change_footersettings",
        "cms.change_openinghourssettings",
        "accounts.view_user",
        "accounts.change_user",
        "insight.view_statistics",
        "insight.change_yearreviewsettings",
        "ugc.moderate_work",
        "ugc.view_work",
        *_BOOKING_DESK,
        *_BOOKING_SETUP,
        *_ARCHIVE,
        *_LEARNING,
        *_MAKERSPACE,
        *[
            f"booking.{action}_{model}"
            for model in ("location", "category", "bookingsuspension")
            for action in ("add", "change", "view")
        ],
    ],
}

# Page permissions on the whole page tree, granted through Wagtail's GroupPagePermission.
ROLE_PAGE_PERMISSIONS: dict[str, list[str]] = {
    LIBRARIAN_ADMIN: [
        "add_page",
        "change_page",
        "publish_page",
        "lock_page",
        "unlock_page",
        "bulk_delete_page",
    ],
}


def sync_role_permissions(
    sender: Any = None, *, using: str = DEFAULT_DB_ALIAS, apps: Any = global_apps, **kwargs: Any
) -> None:
    """Give each role exactly the permissions listed above that exist by now (idempotent)."""
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:
        return
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.using(using).filter(name=role).first()
        if group is None:
            continue
        wanted = []
        for name in names:
            app_label, codename = name.split(".", 1)
            permission = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if permission is not None:
                wanted.append(permission)
        group.permissions.add(*wanted)
    _sync_page_permissions(using=using, apps=apps)


def _sync_page_permissions(*, using: str, apps: Any) -> None:
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        Page = apps.get_model("wagtailcore", "Page")
        GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    except LookupError:
        return
    root = Page.objects.using(using).filter(depth=1).first()
    if root is None:
        return
    for role, codenames in ROLE_PAGE_PERMISSIONS.items():
        group = Group.objects.using(using).filter(name=role).first()
        if group is None:
            continue
        for codename in codenames:
            permission = (
                Permission.objects.using(using)
                .filter(content_type__app_label="wagtailcore", codename=codename)
                .first()
            )
            if permission is not None:
                GroupPagePermission.objects.using(using).get_or_create(
                    group=group, page=root, permission=permission
                )
