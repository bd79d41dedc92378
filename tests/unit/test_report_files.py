"""Files sent with a report (evidence, the plan of approach): what a file is, read from its bytes
(common.files), and the submission service's use cases with in-memory ports."""
import base64
import io

import pikepdf
import pytest
from PIL import Image

from common import errors, files
from common.identity import Caller
from common.vocabulary import COMPANY, SECRETARIAT
from services.submission import domain, usecases
from services.submission.dependencies import SubmissionStore
from tests.support import (COMPANY as COMPANY_REGISTRATION, FakeScoring, RecordingPublisher, SettableClock,
                           example_report, in_memory, pdf_with_document_info, photo_with_gps)

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
MB = 2 ** 20


# --- what a file is, by its bytes ----------------------------------------------------------------------

def test_a_file_is_a_photo_or_a_pdf_by_its_bytes_never_its_name():
    assert files.type_of(PNG) == "image/png"
    assert files.type_of(photo_with_gps()) == "image/jpeg"
    assert files.type_of(pdf_with_document_info()) == "application/pdf"
    assert files.type_of(b"MZ\x90\x00 an executable called audit.pdf") is None
    assert files.type_of(b"<html><script>alert(1)</script>") is None
    assert files.type_of(b"") is None


def test_a_file_too_large_or_of_another_type_is_refused_with_a_code():
    assert files.fault(PNG, 10 * MB) is None
    too_large = files.fault(b"%PDF-1.4\n" + bytes(10 * MB), 10 * MB)
    assert (too_large.code, too_large.params) == ("file_too_large", {"file": None, "max_mb": 10})
    assert files.fault(b"PK\x03\x04 a zip", 10 * MB).code == "file_type"
    assert files.fault(b"GIF89a", 10 * MB, place=2).params == {"file": 2}


def test_a_kept_file_says_nothing_besides_what_it_shows():
    photo = files.cleaned(photo_with_gps())
    assert files.type_of(photo) == "image/jpeg"
    assert not Image.open(io.BytesIO(photo)).getexif()
    with pikepdf.open(io.BytesIO(files.cleaned(pdf_with_document_info()))) as pdf:
        assert "/Author" not in pdf.docinfo and "/Metadata" not in pdf.Root
    with pytest.raises(files.Unreadable):
        files.cleaned(b"%PDF-1.4\nonly the start of a PDF")


def test_a_report_names_its_files_by_the_answer_that_holds_each():
    report = {**example_report(), "plan_of_approach_file": "p"}
    report["evidence"] = [{**report["evidence"][0], "file": "a"}, {**report["evidence"][0]},
                          {**report["evidence"][0], "file": "p"}]
    assert domain.file_references(report) == [("evidence.0.file", "a"), ("evidence.2.file", "p"),
                                              ("plan_of_approach_file", "p")]
    assert domain.file_ids(report) == ["a", "p"]
    assert domain.file_ids(example_report()) == []
    assert domain.file_name(2, "application/pdf") == "report-file-2.pdf"


# --- the use cases ---------------------------------------------------------------------------------------

@pytest.fixture
def ports():
    return {"store": in_memory(SubmissionStore), "publisher": RecordingPublisher("submission"),
            "clock": SettableClock("2020-12-01T10:00:00")}


def company(ports, name="Steenhandel B.V."):
    return usecases.register_member(COMPANY, {**COMPANY_REGISTRATION, "name": name}, **ports)["id"]


def upload(ports, company_id, content, max_bytes=10 * MB):
    return usecases.upload_file(company_id, content, store=ports["store"], clock=ports["clock"], max_bytes=max_bytes)


def submit(ports, company_id, report):
    return usecases.submit_report(company_id, report, scoring=FakeScoring(), known_years=set(), **ports)


def with_files(evidence_file=None, plan_file=None):
    report = example_report()
    report["evidence"] = [{**report["evidence"][0], "file": evidence_file}] if evidence_file else report["evidence"]
    if plan_file:
        report["plan_of_approach_file"] = plan_file
    return report


def test_an_uploaded_file_is_kept_without_its_metadata_and_bound_to_the_version_that_names_it(ports):
    company_id = company(ports)
    audit, plan = upload(ports, company_id, pdf_with_document_info()), upload(ports, company_id, photo_with_gps())
    assert audit["content_type"] == "application/pdf" and plan["content_type"] == "image/jpeg"
    accepted = submit(ports, company_id, with_files(audit["id"], plan["id"]))
    owner = Caller(COMPANY, company_id)
    content, content_type, name = usecases.report_file(owner, accepted["id"], 1, plan["id"], store=ports["store"])
    assert (content_type, name) == ("image/jpeg", "report-file-2.jpg")
    assert not Image.open(io.BytesIO(content)).getexif()  # no GPS, no phone
    content, _, _ = usecases.report_file(Caller(SECRETARIAT), accepted["id"], 1, audit["id"], store=ports["store"])
    assert b"Jan Jansen" not in content
    detail = usecases.report_detail(owner, accepted["id"], store=ports["store"])
    assert [each["id"] for each in detail["versions"][0]["files"]] == [audit["id"], plan["id"]]
    # bound: not dropped however long after it came
    ports["clock"].advance(days=30)
    upload(ports, company_id, PNG)
    assert usecases.report_file(owner, accepted["id"], 1, audit["id"], store=ports["store"])


def test_a_file_is_refused_when_too_large_or_not_a_photo_or_pdf(ports):
    company_id = company(ports)
    with pytest.raises(errors.Invalid) as refused:
        upload(ports, company_id, b"%PDF-1.4\n" + bytes(2 * MB), max_bytes=MB)
    assert [each.code for each in refused.value.problems["file"]] == ["file_too_large"]
    for content in (b"MZ\x90\x00 audit.pdf", b"%PDF-1.4\nthe start of a PDF only"):
        with pytest.raises(errors.Invalid) as refused:
            upload(ports, company_id, content)
        assert [each.code for each in refused.value.problems["file"]] == ["file_type"]


def test_a_report_naming_a_file_that_is_not_the_companys_is_refused_on_that_answer(ports):
    mine, theirs = company(ports), company(ports, "Andere Steen B.V.")
    their_file = upload(ports, theirs, PNG)["id"]
    with pytest.raises(errors.Invalid) as refused:
        submit(ports, mine, with_files("0123456789abcdef01234567", their_file))
    assert {path: [each.code for each in listed] for path, listed in refused.value.problems.items()} == \
        {"evidence.0.file": ["unknown_file"], "plan_of_approach_file": ["unknown_file"]}
    assert ports["store"].report_list(mine) == []  # nothing stored


def test_a_file_not_named_by_any_version_within_a_day_is_dropped(ports):
    company_id = company(ports)
    forgotten = upload(ports, company_id, PNG)["id"]
    ports["clock"].advance(days=1, minutes=1)
    upload(ports, company_id, PNG)
    with pytest.raises(errors.Invalid):
        submit(ports, company_id, with_files(forgotten))


def test_a_versions_files_stay_with_it_and_nobody_else_reads_them(ports):
    owner_id, other_id = company(ports), company(ports, "Andere Steen B.V.")
    first = upload(ports, owner_id, PNG)["id"]
    accepted = submit(ports, owner_id, with_files(first))
    second = upload(ports, owner_id, pdf_with_document_info())["id"]
    submit(ports, owner_id, with_files(second, first))  # version 2 names both
    owner, store = Caller(COMPANY, owner_id), ports["store"]
    assert usecases.report_file(owner, accepted["id"], 2, first, store=store)
    with pytest.raises(errors.NotFound):  # version 1 never named the second file
        usecases.report_file(owner, accepted["id"], 1, second, store=store)
    for caller in (Caller(COMPANY, other_id), Caller("authority", "a-1"), Caller("commission", "m-1")):
        with pytest.raises(errors.NotFound):
            usecases.report_file(caller, accepted["id"], 1, first, store=store)
    for bad in ("not-an-id", "0123456789abcdef01234567"):
        with pytest.raises(errors.NotFound):
            usecases.report_file(owner, accepted["id"], 1, bad, store=store)
    kept = usecases.version_file(accepted["id"], 2, second, store=store)
    assert (kept["content_type"], kept["company_id"]) == ("application/pdf", owner_id)
    assert usecases.version_file(accepted["id"], 1, second, store=store) is None
    assert usecases.report_version(accepted["id"], 2, store=store)["files"][0]["id"] == second


def test_a_company_cannot_fill_the_storage_with_files_it_never_sends(ports, monkeypatch):
    """Each upload kept a file of up to 10 MiB for at least a day, as many as a company sent, and the day-old
    ones were dropped only at that company's next upload: one company (or its stolen code) could fill the
    platform's storage in an afternoon, and keep it full by never uploading again."""
    monkeypatch.setattr(domain, "MAX_UNBOUND_FILES", 3)
    hoarder, other = company(ports), company(ports, "Andere Steen B.V.")
    kept = [upload(ports, hoarder, PNG)["id"] for _ in range(3)]
    with pytest.raises(errors.Invalid) as refused:
        upload(ports, hoarder, PNG)
    assert [(each.code, each.params) for each in refused.value.problems["file"]] == [("unsent_files", {"max": 3})]
    assert len(ports["store"].files.ids({})) == 3, "the refused file is not kept"
    assert upload(ports, other, PNG), "another company is not held up"
    submit(ports, hoarder, with_files(kept[0]))  # a sent version's files no longer count
    assert upload(ports, hoarder, PNG)
    # a day later, any company's upload drops every company's files no version named
    ports["clock"].advance(days=1, minutes=1)
    upload(ports, other, PNG)
    assert len(ports["store"].files.ids({"company_id": hoarder})) == 1


def test_a_file_dropped_between_the_check_and_the_binding_refuses_the_report_not_loses_its_file(ports, monkeypatch):
    """Any upload drops every company's day-old unsent files: one dropped while a report naming it is being
    stored must not leave a version naming a file that is gone."""
    company_id, other = company(ports), company(ports, "Andere Steen B.V.")
    old = upload(ports, company_id, PNG)["id"]
    ports["clock"].advance(days=1, minutes=1)
    store, found = ports["store"], ports["store"].file_described

    def then_dropped(file_id, owner):  # found, and then another company's upload drops it
        described = found(file_id, owner)
        upload(ports, other, PNG)
        return described
    monkeypatch.setattr(store, "file_described", then_dropped)
    with pytest.raises(errors.Invalid) as refused:
        submit(ports, company_id, with_files(old))
    assert [each.code for each in refused.value.problems["evidence.0.file"]] == ["unknown_file"]
    assert store.report_list(company_id) == []


def test_a_company_cannot_fill_the_storage_by_sending_version_after_version_of_new_files(ports, monkeypatch):
    """Files named by a sent version no longer count as unsent: all of a company's files together are held to
    MAX_COMPANY_FILE_BYTES, whether sent or not."""
    monkeypatch.setattr(domain, "MAX_COMPANY_FILE_BYTES", 2 * len(files.cleaned(PNG)))
    sender, other = company(ports), company(ports, "Andere Steen B.V.")
    first = upload(ports, sender, PNG)["id"]
    submit(ports, sender, with_files(first))
    upload(ports, sender, PNG)
    with pytest.raises(errors.Invalid) as refused:
        upload(ports, sender, PNG)
    assert [each.code for each in refused.value.problems["file"]] == ["files_kept_full"]
    assert upload(ports, other, PNG), "another company is not held up"
