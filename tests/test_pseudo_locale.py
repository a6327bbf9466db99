"""No English on a Chinese page: every page, for every role, in a pseudo-locale.

While the test runs, every string that passes through Django's translation machinery (our
catalogue and Django's, Wagtail's and allauth's) comes back wrapped in ⟦…⟧; a string whose
msgid has no Chinese translation comes back as ⟦?…⟧ instead. Each page is rendered for a visitor
and for each role, its visible text is taken (text nodes and the attributes people read:
alt, title, aria-label, placeholder, button values), wrapped text is removed, and so is content
that people typed (titles, names, descriptions: collected from the database). What remains must
not contain a Latin word outside a short, pinned list of names (OctoPrint, H5P, PDF, units).

A leak is either plain English that never went through gettext, or an msgid without a Chinese
translation (reported with a ``?``).
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from django.utils.translation import trans_real
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from accounts import roles
from accounts.models import User
from accounts.selectors import has_totp

OPEN, CLOSE, MISSING = "⟦", "⟧", "?"

# Names and units that are the same in Chinese text (pinned: add only what is really a name).
ALLOWED = {
    "AAC",
    "ABS",
    "BY",
    "CC",
    "CC0",
    "CSV",
    "English",
    "FLAC",
    "G-code",
    "GIF",
    "GLB",
    "H5P",
    "IIIF",
    "JPEG",
    "JSON",
    "LUFS",
    "M4A",
    "MKV",
    "MOV",
    "MP3",
    "MP4",
    "NC",
    "ND",
    "OAI-PMH",
    "OBJ",
    "OGG",
    "OHMS",
    "OctoPrint",
    "PDF",
    "PETG",
    "PLA",
    "PNG",
    "QR",
    "SA",
    "STL",
    "TPU",
    "TOTP",
    "WAV",
    "WebM",
    "WebP",
    "WebVTT",
    "mm",
    "xAPI",
    "Liaotu",
    "Commons",
    "iCalendar",
    "ICS",
    "3MF",
    "URL",
    "g",
    "Wagtail",
    "GB",
    "MB",
    "min",
    "Leaflet",
    "OpenStreetMap",
    "Creative",
    "SHA-256",
    "Open",
    "Badges",
    "ID",
    "ISBN",
    "Wi-Fi",
    "USB",
}


SKIP_PATH = re.compile(
    r"(logout|\.ics$|\.xml$|\.json$|\.vtt$|/api/|/oai|/feed/|/download|/export|jsi18n|"
    r"/files/|sitemap|healthz|/uploads|/reset/|/revoke/|/statements|/play/|/h5p/|/confirm-email/|"
    r"/password/reset/key|/2fa/|/reauthenticate|/email/|/delete/|/social/|/3rdparty/)"
)
CONTENT_FIELD = re.compile(
    r"(title|name|details|description|summary|intro|hero|body|label|text|note|reason|email|address|"
    r"purpose|keywords|hometown|biography|caption|tile|heading|location|place)"
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*")


def _wrap(result: str, message: str) -> str:
    if not isinstance(result, str) or not result:
        return result
    # An msgid that came back unchanged while Chinese is active has no translation.
    flag = MISSING if result == message and WORD.search(message) else ""
    return f"{OPEN}{flag}{result}{CLOSE}"


@pytest.fixture
def pseudo_locale(monkeypatch):
    original_gettext = trans_real.DjangoTranslation.gettext
    original_ngettext = trans_real.DjangoTranslation.ngettext

    def gettext(self, message):
        result = original_gettext(self, message)
        if self.language() != "zh-hans":
            return result
        # pgettext asks for "context\x04message" and falls back to the bare message itself.
        if "\x04" in message:
            return result
        return _wrap(result, message)

    def ngettext(self, singular, plural, number):
        result = original_ngettext(self, singular, plural, number)
        if self.language() != "zh-hans":
            return result
        return _wrap(result, singular if number == 1 else plural)

    monkeypatch.setattr(trans_real.DjangoTranslation, "gettext", gettext)
    monkeypatch.setattr(trans_real.DjangoTranslation, "ngettext", ngettext)
    original_pgettext = trans_real.pgettext

    def pgettext(context, message):
        result = original_pgettext(context, message)
        return result if OPEN in result else _wrap(result, message)

    # django.utils.translation keeps the functions it looked up once (Trans.__getattr__): put
    # ours there too. This comes first: monkeypatch reads the old value to restore it, and that
    # read makes Trans look the function up, which must still find the real one (patched
    # second, the undo would put the pseudo-locale back for every later test).
    monkeypatch.setattr(translation._trans, "pgettext", pgettext, raising=False)
    monkeypatch.setattr(trans_real, "pgettext", pgettext)
    yield


class VisibleText(HTMLParser):
    """Text a person reads or hears: text nodes and the few attributes read aloud or shown.

    Text the page itself marks as not ours to translate is left out: an element in another
    language (``lang="en"``: the English citation of an interview) or marked
    ``translate="no"`` (a citation in Chinese, whose GB/T type codes are Latin letters).
    """

    HIDDEN = {"script", "style", "template", "noscript", "svg"}
    READ = {"alt", "title", "aria-label", "placeholder", "aria-description"}
    VOID = {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    }  # fmt: skip

    def __init__(self, *, lists_of_names: re.Pattern | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.open: list[tuple[str, bool]] = []  # (tag, not ours to translate)
        # <select>s whose options are names in their own right (time zones, languages by
        # their own names): left out.
        self.lists_of_names = lists_of_names

    def _foreign(self) -> bool:
        return any(foreign for _tag, foreign in self.open)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = (attrs.get("lang") or "").lower()
        foreign = attrs.get("translate") == "no" or (tag != "html" and lang[:2] not in ("", "zh"))
        foreign = foreign or "hidden" in attrs  # not shown (a counter at zero) and not read
        if tag == "select" and self.lists_of_names is not None:
            foreign = foreign or bool(self.lists_of_names.search(attrs.get("name") or ""))
        if tag not in self.VOID:
            self.open.append((tag, foreign))
        if tag in self.HIDDEN:
            self.hidden += 1
        if foreign or self._foreign():
            return
        for name in self.READ:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        if not self.hidden and not self._foreign():
            self.parts.append(data)


def unmarked(text: str) -> tuple[str, list[str]]:
    """The text without translated parts, and the msgids that had no translation."""
    missing = []
    pattern = re.compile(re.escape(OPEN) + r"([^" + OPEN + CLOSE + r"]*)" + re.escape(CLOSE))
    while True:
        found = pattern.search(text)
        if not found:
            return text, missing
        inner = found.group(1)
        if inner.startswith(MISSING):
            missing.append(inner[1:])
        text = text[: found.start()] + " " + text[found.end() :]


def content_words(*, slugs: bool = False) -> set[str]:
    """Latin words in what people typed: titles, names, descriptions, page bodies (and with
    ``slugs`` the slugs staff gave things, which the admin lists and public pages do not
    show)."""
    words: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label in ("auth", "contenttypes", "sessions", "admin", "axes"):
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and (CONTENT_FIELD.search(f.name) or (slugs and "slug" in f.name))
            and (slugs or "slug" not in f.name)
            and not f.choices
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            for value in row:
                if value:
                    words.update(WORD.findall(str(value)))
    for page in Page.objects.all().specific():
        words.update(WORD.findall(page.title))
        for field in page._meta.concrete_fields:
            if isinstance(field, StreamField | models.TextField | RichTextField):
                # The stored form: rendering blocks here would need a request.
                words.update(WORD.findall(field.value_to_string(page) or ""))
    return words


def _plain_paths(resolver=None, prefix: str = "") -> list[str]:
    """Every URL of ours that takes no argument."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            module = getattr(entry.urlconf_module, "__name__", "")
            if module.startswith("wagtail") or module.startswith("allauth.socialaccount"):
                continue
            found.extend(_plain_paths(entry, prefix + str(entry.pattern)))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if "<" in route or "(" in route or "^" in route or "$" in route:
                continue
            found.append("/" + route)
    return sorted({path for path in found if not SKIP_PATH.search(path)})


def _detail_paths() -> list[str]:
    """A page of each kind that takes an id, from the demo content."""
    from booking.models import Event, Resource
    from makerspace.models import Equipment
    from oral_history.models import Interview
    from ugc.models import Work

    paths = [page.url for page in Page.objects.live().specific() if page.url]
    candidates = [
        ("booking:event", Event.objects.order_by("pk").first(), "pk"),
        ("booking:resource", Resource.objects.order_by("pk").first(), "slug"),
        ("makerspace:equipment", Equipment.objects.order_by("pk").first(), "slug"),
        ("oral_history:interview", Interview.objects.order_by("pk").first(), "pk"),
        ("ugc:work", Work.objects.order_by("pk").first(), "pk"),
    ]
    for name, row, attribute in candidates:
        if row is None:
            continue
        try:
            paths.append(reverse(name, args=[getattr(row, attribute)]))
        except NoReverseMatch:
            continue
    return sorted(set(paths))


@pytest.fixture
def demo_everything(db, s3_endpoint):
    call_command(
        "seed_demo",
        "--only",
        "accounts",
        "cms",
        "booking",
        "courses",
        "makerspace",
        "oral_history",
        stdout=io.StringIO(),
    )
    from accounts.tests.factories import UserFactory
    from ugc import services
    from ugc.tests.factories import make_work

    reader = User.objects.get(email="reader@demo.liaotu.cn")
    moderator = User.objects.get(email="moderator@demo.liaotu.cn")
    work = make_work(reader, title="浑河晨光")
    services.submit_for_review(work=work, user=reader)
    services.approve(work=work, moderator=moderator)
    services.report(work=work, reporter=UserFactory(), reason="含有广告")
    pending = make_work(reader, title="待审核的照片")
    services.submit_for_review(work=pending, user=reader)


def _viewers() -> list[tuple[str, User | None]]:
    viewers: list[tuple[str, User | None]] = [("visitor", None)]
    for role in roles.ALL_ROLES:
        user = User.objects.filter(groups__name=role).order_by("pk").first()
        if user is None:
            continue
        if role in roles.STAFF_ROLES and not has_totp(user=user):
            TOTP.activate(user, pyotp.random_base32())
        viewers.append((role, user))
    return viewers


@pytest.mark.django_db
def test_no_english_on_any_page_for_any_role(client, demo_everything, pseudo_locale):
    allowed = ALLOWED | content_words()
    paths = _plain_paths() + _detail_paths()
    leaks: dict[str, set[str]] = {}
    untranslated: dict[str, set[str]] = {}
    errors: set[str] = set()
    rendered = 0
    client.raise_request_exception = False
    for role, user in _viewers():
        client.logout()
        if user is not None:
            client.force_login(user)
        for path in paths:
            response = client.get(path)
            if response.status_code >= 500:
                errors.add(f"{path} [{role}]: {response.status_code}")
                continue
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            rendered += 1
            parser = VisibleText()
            parser.feed(response.content.decode())
            text, missing = unmarked(" ".join(parser.parts))
            for msgid in missing:
                untranslated.setdefault(msgid, set()).add(path)
            for word in WORD.findall(text):
                if word in allowed:
                    continue
                leaks.setdefault(f"{path} [{role}]", set()).add(word)
    assert rendered > 40, rendered
    report = sorted(errors)
    report += [f"{where}: {sorted(words)}" for where, words in sorted(leaks.items())]
    report += [
        f"untranslated msgid {msgid!r} on {sorted(where)[:3]}"
        for msgid, where in sorted(untranslated.items())
    ]
    assert not report, "\n" + "\n".join(report)


@pytest.mark.django_db
def test_the_pseudo_locale_catches_english(client, demo_site, pseudo_locale):
    """The test above can fail: untranslated text survives, translated text does not."""
    parser = VisibleText()
    parser.feed(client.get("/").content.decode())
    text, _missing = unmarked(" ".join(parser.parts))
    assert OPEN not in text
    # The home page's translated headings are gone, the brand's Chinese name stays.
    assert "尚有名额的活动和课程" not in text
    leftover, missing = unmarked(f"a {OPEN}已翻译{CLOSE} Hello {OPEN}{MISSING}Save{CLOSE}")
    assert WORD.findall(leftover) == ["a", "Hello"] and missing == ["Save"]


@pytest.mark.django_db
def test_in_english_the_navigation_and_our_pages_are_english(client, demo_site):
    client.cookies["django_language"] = "en"
    html = client.get("/").content.decode()
    for text in (
        "Events and classes with free places",
        "Open today",
        "3D printers free now",
        ">Learning</a>",
        ">Bookings</a>",
    ):
        assert text in html, text


def test_the_pseudo_locale_is_gone_after_its_test(client, demo_site):
    # Runs after the tests above (same module, file order): nothing of the pseudo-locale is left.
    from django.utils.translation import pgettext, pgettext_lazy

    assert OPEN not in pgettext("archive part", "Recording")
    assert OPEN not in str(pgettext_lazy("archive part", "Recording"))
    assert OPEN not in client.get("/").content.decode()


def _admin_paths() -> list[str]:
    """The Wagtail admin pages staff work in: dashboard, page explorer and editor, every
    snippet's listing and form, settings, images, documents and reports."""
    from wagtail.contrib.settings.registry import registry as settings_registry
    from wagtail.models import Site
    from wagtail.snippets.models import get_snippet_models

    from cms.models import HomePage

    home = HomePage.objects.get()
    paths = [
        "/admin/",
        "/admin/pages/",
        f"/admin/pages/{home.pk}/",
        f"/admin/pages/{home.pk}/edit/",
    ]
    course = Page.objects.filter(depth__gt=home.depth).order_by("path").last()
    if course is not None:
        paths.append(f"/admin/pages/{course.pk}/edit/")
    for model in get_snippet_models():
        viewset = model.snippet_viewset
        for view in ("list", "add"):
            paths.append(reverse(viewset.get_url_name(view)))
    site = Site.objects.get(is_default_site=True)
    for model in settings_registry:
        app, name = model._meta.app_label, model._meta.model_name
        paths.append(reverse("wagtailsettings:edit", args=[app, name, site.pk]))
    paths += ["/admin/images/", "/admin/documents/", "/admin/reports/locked/", "/admin/account/"]
    return paths


@pytest.mark.django_db
def test_no_english_in_the_admin_for_a_librarian(client, demo_everything, pseudo_locale):
    """The librarian's admin is Chinese too: Wagtail's strings that its own catalogue lacks
    are in locale/vendor."""
    from django.contrib.auth.models import Group

    from booking.models import Location
    from makerspace import slicer

    # Also names: the roles' groups, the printer profiles' file names (shown beside the printer
    # type they describe), the locations' time zones, and Wagtail's own name.
    allowed = ALLOWED | content_words(slugs=True) | {"Wagtail"}
    names = [
        *Group.objects.values_list("name", flat=True),
        *slicer.profiles(),
        *Location.objects.values_list("timezone", flat=True),
    ]
    for name in names:
        allowed |= set(WORD.findall(name))
    librarian = User.objects.filter(groups__name=roles.LIBRARIAN_ADMIN).order_by("pk").first()
    if not has_totp(user=librarian):
        TOTP.activate(librarian, pyotp.random_base32())
    client.force_login(librarian)
    client.raise_request_exception = False
    report = []
    untranslated: dict[str, set[str]] = {}
    for path in _admin_paths():
        response = client.get(path)
        if response.status_code != 200:
            report.append(f"{path}: {response.status_code}")
            continue
        html = response.content.decode()
        # Two words Wagtail's templates hard-code in English; admin-i18n.js translates them.
        assert 'id="admin-i18n"' in html and "js/admin-i18n.js" in html, path
        html = html.replace('value="Search"', "").replace('aria-label="Actions"', "")
        parser = VisibleText(lists_of_names=re.compile(r"time_?zone|language"))
        parser.feed(html)
        text, missing = unmarked(" ".join(parser.parts))
        for msgid in missing:
            untranslated.setdefault(msgid, set()).add(path)
        words = {word for word in WORD.findall(text) if word not in allowed}
        if words:
            report.append(f"{path}: {sorted(words)}")
    report += [
        f"untranslated msgid {msgid!r} on {sorted(where)[:3]}"
        for msgid, where in sorted(untranslated.items())
    ]
    assert not report, "\n" + "\n".join(report)
