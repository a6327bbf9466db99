"""OAI-PMH 2.0: every verb, the protocol's errors, sets, resumption tokens, deleted records;
responses validated against the OAI-PMH and oai_dc schemas, and harvested by sickle."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from oral_history import oai
from oral_history.models import AccessLevel, Collection
from tests.services import shared_fixture

from .factories import CollectionFactory, InterviewFactory

URL = "/memories/oai"


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> etree.XMLSchema:
    """OAI-PMH.xsd plus oai_dc.xsd (the envelope checks its metadata strictly)."""
    oai_xsd = shared_fixture("xsd", "OAI-PMH.xsd")
    dc_xsd = shared_fixture("xsd", "oai_dc.xsd")
    wrapper = tmp_path_factory.mktemp("xsd") / "both.xsd"
    wrapper.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        f'<xs:import namespace="{oai.OAI}" schemaLocation="{oai_xsd.as_uri()}"/>'
        f'<xs:import namespace="{oai.OAI_DC}" schemaLocation="{dc_xsd.as_uri()}"/>'
        "</xs:schema>"
    )
    return etree.XMLSchema(etree.parse(str(wrapper)))


def _get(schema, **params) -> etree._Element:
    response = Client().get(URL, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    document = etree.fromstring(response.content)
    assert schema.validate(document), schema.error_log
    return document


def _error(document) -> str | None:
    found = document.find(f"{{{oai.OAI}}}error")
    return None if found is None else found.get("code")


def _ids(document) -> list[str]:
    return [e.text for e in document.iter(f"{{{oai.OAI}}}identifier")]


@pytest.fixture
def records(db):
    other = CollectionFactory(slug="factories", name="工厂记忆")
    made = [InterviewFactory(title=f"访谈{n}", keywords=["工厂"]) for n in range(7)]
    made.append(InterviewFactory(collection=other, title="另一个集"))
    InterviewFactory(title="限制访问", access_level=AccessLevel.RESTRICTED)
    InterviewFactory(title="草稿", published=False)
    withdrawn = InterviewFactory(title="已撤回", withdrawn_at=timezone.now())
    return made, withdrawn


@pytest.mark.django_db
def test_identify_declares_the_deleted_record_policy(schema):
    document = _get(schema, verb="Identify")
    assert document.findtext(f".//{{{oai.OAI}}}deletedRecord") == "persistent"
    assert document.findtext(f".//{{{oai.OAI}}}protocolVersion") == "2.0"
    assert document.findtext(f".//{{{oai.OAI}}}granularity") == "YYYY-MM-DDThh:mm:ssZ"


@pytest.mark.django_db
def test_list_metadata_formats_and_sets(schema, records):
    document = _get(schema, verb="ListMetadataFormats")
    assert document.findtext(f".//{{{oai.OAI}}}metadataPrefix") == "oai_dc"
    sets = _get(schema, verb="ListSets")
    assert {e.text for e in sets.iter(f"{{{oai.OAI}}}setSpec")} == set(
        Collection.objects.values_list("slug", flat=True)
    )


@pytest.mark.django_db
def test_list_records_pages_with_resumption_tokens(schema, records, monkeypatch):
    monkeypatch.setattr(oai, "PAGE_SIZE", 3)
    made, withdrawn = records
    seen: list[str] = []
    document = _get(schema, verb="ListRecords", metadataPrefix="oai_dc")
    while True:
        seen += _ids(document)
        token = document.find(f".//{{{oai.OAI}}}resumptionToken")
        assert token is not None
        assert token.get("completeListSize") == "9"
        if not token.text:
            break
        document = _get(schema, verb="ListRecords", resumptionToken=token.text)
    wanted = {f"oai:testserver:interview/{i.pk}" for i in [*made, withdrawn]}
    assert set(seen) == wanted and len(seen) == len(wanted)


@pytest.mark.django_db
def test_deleted_records_have_a_header_and_no_metadata(schema, records):
    _made, withdrawn = records
    identifier = f"oai:testserver:interview/{withdrawn.pk}"
    document = _get(schema, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    header = document.find(f".//{{{oai.OAI}}}header")
    assert header.get("status") == "deleted"
    assert document.find(f".//{{{oai.OAI}}}metadata") is None


@pytest.mark.django_db
def test_get_record_carries_dublin_core(schema, records):
    made, _ = records
    identifier = f"oai:testserver:interview/{made[0].pk}"
    document = _get(schema, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert document.findtext(f".//{dc}title") == made[0].title
    assert made[0].accession_number in [e.text for e in document.iter(f"{dc}identifier")]
    assert "工厂" in [e.text for e in document.iter(f"{dc}subject")]


@pytest.mark.django_db
def test_sets_and_dates_select_records(schema, records):
    made, _ = records
    document = _get(schema, verb="ListIdentifiers", metadataPrefix="oai_dc", set="factories")
    assert _ids(document) == [f"oai:testserver:interview/{made[-1].pk}"]
    today = timezone.now().strftime("%Y-%m-%d")
    document = _get(schema, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": today})
    assert len(_ids(document)) == 9
    document = _get(schema, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2001-01-01")
    assert _error(document) == "noRecordsMatch"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Dance"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:x:1"},
         "idDoesNotExist"),
        ({"verb": "ListRecords", "resumptionToken": "forged"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "nope"}, "noRecordsMatch"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01",
          "until": "2030-01-01T00:00:00Z"}, "badArgument"),
    ],
)  # fmt: skip
def test_protocol_errors(schema, records, params, code):
    assert _error(_get(schema, **params)) == code


@pytest.mark.django_db
def test_restricted_and_draft_records_are_never_exposed(schema, records):
    document = _get(schema, verb="ListRecords", metadataPrefix="oai_dc")
    body = etree.tostring(document, encoding="unicode")
    assert "限制访问" not in body and "草稿" not in body


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_harvester_collects_every_record(live_server, monkeypatch):
    from sickle import Sickle

    monkeypatch.setattr(oai, "PAGE_SIZE", 2)
    made = [InterviewFactory(title=f"收割{n}") for n in range(5)]
    harvester = Sickle(live_server.url + URL)
    assert harvester.Identify().repositoryName.startswith("辽海往事")
    titles = [record.metadata["title"][0] for record in
              harvester.ListRecords(metadataPrefix="oai_dc")]  # fmt: skip
    assert sorted(titles) == sorted(i.title for i in made)
    host = re.sub(r"^https?://|:\d+$", "", live_server.url)
    record = harvester.GetRecord(identifier=f"oai:{host}:interview/{made[0].pk}",
                                 metadataPrefix="oai_dc")  # fmt: skip
    assert record.metadata["title"] == [made[0].title]
