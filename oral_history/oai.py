"""OAI-PMH 2.0 data provider with ``oai_dc``, sets for collections and resumption tokens.

Only records whose metadata the public may see are exposed. Withdrawn interviews stay as
deleted records (``deletedRecord`` is ``persistent``: the archive keeps the rows), so harvesters
learn to drop them. Resumption tokens are signed and carry the original arguments and the
position, so a forged or edited token is ``badResumptionToken``; so is one older than
``TOKEN_MAX_AGE``.

Record identifiers (``oai:<repository identifier>:interview/<pk>``) and the base URL come from
the settings (``OAI_REPOSITORY_IDENTIFIER``, ``SITE_URL``), never from the request's Host
header: a harvester must see the same identifiers whichever address it used.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from core import siteurl

from . import selectors
from .models import Collection, Interview

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PAGE_SIZE = 50
TOKEN_SALT = "oral_history.oai"  # noqa: S105 - a signing namespace, not a secret
# How long a resumption token is honoured (seconds). Deliberately not a setting: a day covers
# any harvest of this archive, and after it a harvester starts the list again (the protocol's
# answer to badResumptionToken). The signature carries the time it was issued.
TOKEN_MAX_AGE = 24 * 3600
EARLIEST = "2020-01-01T00:00:00Z"
VERBS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
}

# The prefixes of the record formats. The OAI namespace itself is the document's default,
# registered again just before each response is serialised: ElementTree keeps one process-wide
# map of prefixes, and another module (the OHMS export, Willow's SVG) registering its own default
# namespace would otherwise turn every element of the feed into ns0:.
for prefix, uri in (("oai_dc", OAI_DC), ("dc", DC), ("xsi", XSI)):
    ET.register_namespace(prefix, uri)


class OAIError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _sub(parent, ns: str, name: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, _q(ns, name), attrs)
    if text is not None:
        element.text = text
    return element


def repository_identifier() -> str:
    """The ``<id>`` in ``oai:<id>:interview/<pk>``: the setting, else the public host name."""
    return settings.OAI_REPOSITORY_IDENTIFIER or siteurl.site_host()


def identifier_for(interview: Interview) -> str:
    return f"oai:{repository_identifier()}:interview/{interview.pk}"


def base_url() -> str:
    return siteurl.absolute(reverse("oral_history:oai"))


# ISO 639 codes for the languages and dialects an interview here may be in. The interview's
# language is free text ("普通话", "东北方言", "Mandarin", "zh-Hans", …); ``iso639`` reads it.
# Chinese varieties with their own ISO 639-3 code keep it (yue, nan, hak, wuu); Mandarin and
# its local dialects are zh, the code harvesters expect for Chinese.
_LANGUAGE_NAMES = {
    "zh": ["普通话", "国语", "华语", "汉语", "中文", "官话", "北方话", "mandarin",
           "mandarin chinese", "chinese", "putonghua", "standard chinese", "cmn"],
    "yue": ["粤语", "广东话", "广府话", "白话", "cantonese"],
    "nan": ["闽南语", "闽南话", "台语", "台湾话", "福建话", "hokkien", "min nan", "minnan"],
    "hak": ["客家话", "客家语", "hakka"],
    "wuu": ["吴语", "上海话", "苏州话", "wu", "shanghainese"],
    "ko": ["朝鲜语", "朝鲜话", "韩语", "韩国语", "korean"],
    "mnc": ["满语", "满洲语", "满族语", "manchu"],
    "mn": ["蒙古语", "蒙语", "蒙古话", "mongolian"],
    "sjo": ["锡伯语", "锡伯话", "xibe", "sibe"],
    "ja": ["日语", "日本语", "日本话", "japanese"],
    "ru": ["俄语", "俄罗斯语", "russian"],
    "en": ["英语", "英文", "english"],
}  # fmt: skip
_BY_NAME = {name: code for code, names in _LANGUAGE_NAMES.items() for name in names}
ISO639_CODES = frozenset(_LANGUAGE_NAMES)
# A tag such as zh-Hans, zh_CN or en-GB: its primary subtag, when it is one of ours.
_TAG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$")
# A dialect or accent named after a place (东北话, 沈阳方言, 胶辽官话, 辽南口音) is Chinese.
_CHINESE_DIALECT = re.compile(r"^[\u4e00-\u9fff]{1,8}(?:话|方言|官话|口音)$")
_SEPARATORS = re.compile(r"[,，、;；/|+＋]|\s+(?:and|&)\s+|和|及|与")
_ASIDE = re.compile(r"[(（].*?(?:[)）]|$)")


def _one_language(part: str) -> str | None:
    name = " ".join(part.casefold().split())
    if name in _BY_NAME:
        return _BY_NAME[name]
    tag = _TAG.match(name)
    if tag:
        code = tag.group(1)
        return code if code in ISO639_CODES else _BY_NAME.get(code)
    if _CHINESE_DIALECT.match(name):
        return "zh"
    return None


def iso639(language: str) -> list[str]:
    """The ISO 639 codes of a free-text language field, in order, without repeats. Every text
    has an answer: what is not recognised gives no code rather than a wrong one."""
    codes: list[str] = []
    for part in _SEPARATORS.split(_ASIDE.sub("", language)):
        code = _one_language(part)
        if code and code not in codes:
            codes.append(code)
    return codes


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_date(value: str, *, end: bool) -> dt.datetime:
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min, dt.UTC)
            return moment
        if len(value) == 20 and value.endswith("Z"):
            return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        pass
    raise OAIError("badArgument", f"Not a valid UTCdatetime: {value}")


@dataclass
class Provider:
    request: HttpRequest

    def respond(self) -> HttpResponse:
        source = self.request.GET if self.request.method == "GET" else self.request.POST
        args = dict(source.lists())
        root = ET.Element(_q(OAI, "OAI-PMH"))
        root.set(_q(XSI, "schemaLocation"),
                 f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")  # fmt: skip
        _sub(root, OAI, "responseDate", _stamp(timezone.now()))
        request_element = _sub(root, OAI, "request", base_url())
        try:
            verb, params = self._check(args)
            request_element.set("verb", verb)
            for key, value in params.items():
                request_element.set(key, value)
            getattr(self, f"do_{verb}")(root, params)
        except OAIError as error:
            if error.code in ("badVerb", "badArgument"):
                # The protocol: after these errors the request element carries no arguments.
                request_element.attrib.clear()
            _sub(root, OAI, "error", error.message, code=error.code)
        ET.register_namespace("", OAI)
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return HttpResponse(body, content_type="text/xml; charset=utf-8")

    def _check(self, args: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
        verbs = args.pop("verb", [])
        if len(verbs) > 1:
            raise OAIError("badVerb", "The verb argument must not be repeated.")
        verb = verbs[0] if verbs else None
        if verb not in VERBS:
            raise OAIError("badVerb", "Illegal or missing verb.")
        if any(len(values) > 1 for values in args.values()):
            raise OAIError("badArgument", "Arguments must not be repeated.")
        flat = {k: v[0] for k, v in args.items()}
        required, optional = VERBS[verb]
        if "resumptionToken" in flat:
            if len(flat) > 1:
                raise OAIError("badArgument", "resumptionToken is an exclusive argument.")
            return verb, flat
        unknown = set(flat) - required - optional
        if unknown:
            raise OAIError("badArgument", f"Illegal arguments: {', '.join(sorted(unknown))}")
        missing = required - set(flat)
        if missing:
            raise OAIError("badArgument", f"Missing arguments: {', '.join(sorted(missing))}")
        return verb, flat

    # --- verbs ---

    def do_Identify(self, root, params) -> None:
        identify = _sub(root, OAI, "Identify")
        _sub(identify, OAI, "repositoryName", "辽海往事 Liaohai Memories")
        _sub(identify, OAI, "baseURL", base_url())
        _sub(identify, OAI, "protocolVersion", "2.0")
        _sub(identify, OAI, "adminEmail", "archive@liaotu.example")
        _sub(identify, OAI, "earliestDatestamp", EARLIEST)
        _sub(identify, OAI, "deletedRecord", "persistent")
        _sub(identify, OAI, "granularity", "YYYY-MM-DDThh:mm:ssZ")

    def do_ListMetadataFormats(self, root, params) -> None:
        if "identifier" in params:
            self._interview(params["identifier"])
        formats = _sub(root, OAI, "ListMetadataFormats")
        fmt = _sub(formats, OAI, "metadataFormat")
        _sub(fmt, OAI, "metadataPrefix", "oai_dc")
        _sub(fmt, OAI, "schema", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
        _sub(fmt, OAI, "metadataNamespace", OAI_DC)

    def do_ListSets(self, root, params) -> None:
        if "resumptionToken" in params:
            raise OAIError("badResumptionToken", "The set list is never split.")
        sets = _sub(root, OAI, "ListSets")
        for collection in Collection.objects.order_by("slug"):
            element = _sub(sets, OAI, "set")
            _sub(element, OAI, "setSpec", collection.slug)
            _sub(element, OAI, "setName", collection.name)

    def do_GetRecord(self, root, params) -> None:
        self._prefix(params["metadataPrefix"])
        interview = self._interview(params["identifier"])
        self._record(_sub(root, OAI, "GetRecord"), interview)

    def do_ListIdentifiers(self, root, params) -> None:
        self._list(root, params, "ListIdentifiers")

    def do_ListRecords(self, root, params) -> None:
        self._list(root, params, "ListRecords")

    # --- helpers ---

    def _prefix(self, prefix: str) -> None:
        if prefix != "oai_dc":
            raise OAIError("cannotDisseminateFormat", f"Unknown metadataPrefix: {prefix}")

    def _interview(self, identifier: str) -> Interview:
        prefix = f"oai:{repository_identifier()}:interview/"
        pk = identifier[len(prefix) :] if identifier.startswith(prefix) else ""
        interview = (
            selectors.interviews_for_harvest().filter(pk=int(pk)).first() if pk.isdigit() else None
        )
        if interview is None:
            raise OAIError("idDoesNotExist", f"No such record: {identifier}")
        return interview

    def _selection(self, params: dict) -> QuerySet[Interview]:
        interviews = selectors.interviews_for_harvest()
        if "from" in params:
            interviews = interviews.filter(updated_at__gte=_parse_date(params["from"], end=False))
        if "until" in params:
            interviews = interviews.filter(updated_at__lte=_parse_date(params["until"], end=True))
        if "from" in params and "until" in params and len(params["from"]) != len(params["until"]):
            raise OAIError("badArgument", "from and until must have the same granularity.")
        if "set" in params:
            if not Collection.objects.filter(slug=params["set"]).exists():
                raise OAIError("noRecordsMatch", f"No such set: {params['set']}")
            interviews = interviews.filter(collection__slug=params["set"])
        return interviews

    def _list(self, root, params: dict, verb: str) -> None:
        offset = 0
        resumed = "resumptionToken" in params
        if resumed:
            try:
                state = signing.loads(
                    params["resumptionToken"], salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE
                )
                params, offset = state["params"], int(state["offset"])
            except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
                raise OAIError(
                    "badResumptionToken", "The resumption token is not valid."
                ) from error
        self._prefix(params["metadataPrefix"])
        interviews = self._selection(params)
        total = interviews.count()
        page = list(interviews[offset : offset + PAGE_SIZE])
        if not page:
            raise OAIError("noRecordsMatch", "No records match the request.")
        container = _sub(root, OAI, verb)
        for interview in page:
            if verb == "ListIdentifiers":
                self._header(container, interview)
            else:
                self._record(container, interview)
        following = offset + len(page)
        if following < total or resumed:
            token = (
                signing.dumps({"params": params, "offset": following}, salt=TOKEN_SALT)
                if following < total
                else ""
            )
            _sub(container, OAI, "resumptionToken", token, completeListSize=str(total),
                 cursor=str(offset))  # fmt: skip

    def _header(self, parent, interview: Interview) -> ET.Element:
        header = _sub(parent, OAI, "header")
        if interview.withdrawn_at is not None:
            header.set("status", "deleted")
        _sub(header, OAI, "identifier", identifier_for(interview))
        _sub(header, OAI, "datestamp", _stamp(interview.updated_at))
        _sub(header, OAI, "setSpec", interview.collection.slug)
        return header

    def _record(self, parent, interview: Interview) -> None:
        record = _sub(parent, OAI, "record")
        self._header(record, interview)
        if interview.withdrawn_at is not None:
            return
        metadata = _sub(record, OAI, "metadata")
        dc = _sub(metadata, OAI_DC, "dc")
        dc.set(
            _q(XSI, "schemaLocation"), f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
        )
        for name, value in dublin_core(interview):
            _sub(dc, DC, name, value)


def dublin_core(interview: Interview) -> list[tuple[str, str]]:
    fields = [("title", interview.title)]
    fields += [("creator", n.public_name) for n in interview.narrators.all()]
    fields += [("contributor", name) for name in interview.interviewers]
    fields += [("subject", s.name) for s in interview.subjects.all()]
    fields += [("subject", k) for k in interview.keywords]
    if interview.summary:
        fields.append(("description", interview.summary))
    fields.append(("publisher", "辽宁省图书馆 Liaoning Provincial Library"))
    if interview.interview_date:
        fields.append(("date", interview.interview_date.isoformat()))
    fields.append(("type", "Sound"))
    fields.append(("type", "口述历史 Oral history"))
    fields.append(("identifier", interview.accession_number))
    page = siteurl.absolute(reverse("oral_history:interview", args=[interview.pk]))
    fields.append(("identifier", page))
    fields += [("language", code) for code in iso639(interview.language)]
    fields += [("coverage", p.name) for p in interview.places.all()]
    if interview.year_from:
        fields.append(("coverage", f"{interview.year_from}–{interview.year_to or ''}"))
    fields.append(("relation", interview.collection.name))
    if interview.rights_statement:
        fields.append(("rights", interview.rights_statement))
    return fields
