"""The complaints procedure and its use cases with in-memory ports: filing, following a case with its
code, the procedure's steps and who may take them, who sees what, and an appeal corrected in scoring."""
import base64
import hashlib
import hmac
import io
import re
from datetime import date, timedelta

import pikepdf
from PIL import Image

import pytest
import yaml
from marshmallow import ValidationError

from common import errors
from common.identity import Caller, token_hash
from common import cleaning, files
from services.complaints import domain, schemas, usecases
from common.sealing import Sealer
from services.complaints.dependencies import CaseStore
from tests.support import (GPS_LATITUDE, RecordingPublisher, SettableClock, in_memory, payload,
                           pdf_with_document_info, photo_with_gps)

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
CHAIR, MEMBER = Caller("commission", "chair-1"), Caller("commission", "member-2")


class Members:
    """The submission service's member list, as its RPC answers; `asked` counts the calls."""

    def __init__(self, *ids):
        self.ids, self.asked = list(ids), 0

    def list_members(self):
        self.asked += 1
        return {"companies": [{"id": each, "name": f"Company {each}"} for each in self.ids], "authorities": []}


COMPLAINT = {"kind": "complaint", "company_id": "c-1", "what_happened": "Workers in the quarry near Ongole have "
             "no masks.", "where": "Ongole, India", "when": "March 2021", "language": "en", "name": "A. Worker",
             "contact": "worker@example.org"}


@pytest.fixture
def ports():
    store = in_memory(CaseStore)
    store.register_commission_member({"id": "chair-1", "name": "Chair", "seat": "chair", "email": "c@x.nl",
                                      "language": "nl"})
    store.register_commission_member({"id": "member-2", "name": "Member", "seat": "employers", "email": "m@x.nl",
                                      "language": "nl"})
    return {"store": store, "sealer": Sealer(Sealer.new_key(), setting="COMPLAINTS_SECRET_KEY", without_key=""), "procedure": domain.load_procedure(),
            "publisher": RecordingPublisher("complaints"), "clock": SettableClock("2021-03-15T10:00:00"),
            "submission": Members("c-1")}


def on_the_hour(clock: SettableClock) -> SettableClock:
    clock.instant = clock.instant.replace(minute=0, second=0, microsecond=0)
    return clock


def limit(ports, attempts=10, address="10.0.0.1", alert_after=100):
    """The follow-up codes' limit, on the real clock of the test's ports (its alarms in `ports["alarms"]`)."""
    return {"address": address, "attempts": attempts, "alert_after": alert_after,
            "real_clock": ports.setdefault("real", SettableClock()), "alarm": ports.setdefault("alarms", []).append}


def follow(ports, number, code, attempts=10, **limited):
    return usecases.follow_up(number, code, store=ports["store"], sealer=ports["sealer"],
                              **limit(ports, attempts, **limited))


def file(ports, form=COMPLAINT, address="10.0.0.1", attachments=(), real_clock=None, **extra):
    return usecases.file_case(dict(form), list(attachments), address, limit_per_day=3,
                              real_clock=real_clock or SettableClock(), **extra,
                              **{key: value for key, value in ports.items() if key not in ("real", "alarms")})


def detail(ports, caller, number):
    return usecases.case_detail(caller, number, store=ports["store"], sealer=ports["sealer"], clock=ports["clock"])


def move(ports, caller, number, to, **extra):
    return usecases.move_case(caller, number, {"to": to, "reason": f"to {to}", **extra}, store=ports["store"],
                              sealer=ports["sealer"], procedure=ports["procedure"], publisher=ports["publisher"], clock=ports["clock"])


def test_the_shipped_procedure_has_every_state_and_a_broken_one_is_refused(tmp_path):
    procedure = domain.load_procedure()
    assert procedure.initial == "received" and procedure.step("acknowledged").time_limit_days == 20
    raw = yaml.safe_load(domain.PROCEDURE_FILE.read_text())
    raw["states"]["received"]["by"] = ["the janitor"]
    del raw["states"]["closed"]
    (tmp_path / "procedure.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(domain.ProcedureError) as refused:
        domain.load_procedure(tmp_path / "procedure.yaml")
    assert "states" in str(refused.value)


@pytest.mark.parametrize("day,year", [(date(2019, 10, 1), 1), (date(2020, 9, 30), 1), (date(2021, 3, 1), 2)])
def test_a_case_belongs_to_the_covenant_year_it_was_filed_in(day, year):
    assert domain.covenant_year_of(day) == year


def test_an_attachment_is_a_photo_or_pdf_by_its_bytes_never_its_name():
    assert files.type_of(PNG) == "image/png"
    assert files.type_of(b"%PDF-1.4\n...") == "application/pdf"
    assert files.type_of(b"MZ\x90\x00 an executable called photo.jpg") is None


def test_a_filed_case_is_followed_with_its_code_and_a_wrong_code_reads_nothing(ports):
    filed = file(ports)
    assert filed["number"] == "K-2021-0001" and len(filed["follow_up_code"]) >= 20
    stored = str(ports["store"].changes_of(filed["number"]))
    for written in ("A. Worker", "Ongole", "March 2021", "no masks"):
        assert written not in stored, f"{written!r}: what may identify the complainant is sealed at rest"
    shown = detail(ports, CHAIR, filed["number"])
    assert (shown["where"], shown["when"]) == ("Ongole, India", "March 2021")
    progress = follow(ports, filed["number"], filed["follow_up_code"])
    assert (progress["state"], [each["state"] for each in progress["steps"]]) == ("received", ["received"])
    last = filed["follow_up_code"][-1].upper()
    other = next(each for each in "23456789ABC" if each != last)  # codes read in any case: another character
    for wrong in (None, "", "guess", filed["follow_up_code"][:-1] + other):
        with pytest.raises(errors.NotFound):
            follow(ports, filed["number"], wrong)
    with pytest.raises(errors.NotFound):
        follow(ports, "K-2021-0099", filed["follow_up_code"])
    event = ports["publisher"].of_type("case_received")[0]
    assert event.data["acknowledgement"] is True, "notification is told an acknowledgement is wanted"
    assert "worker@example.org" not in str(event.data) and "A. Worker" not in str(event.data), \
        "the address stays sealed with the case: no message or outbox holds it"
    assert "worker@example.org" not in str(list(ports["store"].changes.find())), "sealed at rest"
    assert usecases.acknowledgement_address(filed["number"], store=ports["store"], sealer=ports["sealer"],
                                            clock=ports["clock"]) == "worker@example.org", \
        "given to notification, to send the acknowledgement"
    anonymous = file(ports, {**COMPLAINT, "name": None, "contact": "phone 0612345678"})
    assert ports["publisher"].of_type("case_received")[-1].data["acknowledgement"] is False
    for number in (anonymous["number"], "K-2021-0099"):
        assert usecases.acknowledgement_address(number, store=ports["store"], sealer=ports["sealer"],
                                                clock=ports["clock"]) is None
    ports["clock"].advance(days=8)
    assert usecases.acknowledgement_address(filed["number"], store=ports["store"], sealer=ports["sealer"],
                                            clock=ports["clock"]) is None, "no longer, once the case is a week old"


def test_filing_is_limited_per_address_over_a_rolling_day_of_real_time(ports):
    # the store forgets filings by real time, as MongoDB does; the case's clock is 2021. Filings are kept by
    # the hour: these are made on the hour, so each frees its place exactly a day later.
    real = on_the_hour(SettableClock())
    for _ in range(3):
        file(ports, real_clock=real)
        real.advance(hours=1)
    with pytest.raises(errors.TooMany) as refused:
        file(ports, real_clock=real)
    assert refused.value.retry_after == 21 * 3600, "the first filing of the day frees a place in 21 hours"
    assert refused.value.message == "Too many cases from your address in 24 hours. Please try again in 21 hour(s)."
    assert ports["store"].filings.count_documents({}) == 3, "a refused filing does not count: waiting as told is enough"
    assert file(ports, address="10.0.0.2", real_clock=real)["number"] == "K-2021-0004", "another address files"
    real.advance(hours=21, seconds=1)
    assert file(ports, real_clock=real)["number"] == "K-2021-0005"


def test_an_address_over_its_limit_makes_the_service_clean_no_file(ports):
    """Cleaning a PDF of thousands of pages takes the service seconds: the files were cleaned before the
    limit was asked, so anyone could keep the service cleaning ten files a request, far past the limit. And
    a filing refused for an unreadable file takes no place of the address's."""
    real = on_the_hour(SettableClock())
    cleaned = []

    def clean(content):
        cleaned.append(1)
        return files.cleaned(content)
    with pytest.raises(errors.Invalid) as refused:
        file(ports, attachments=[b"%PDF-1.4\nonly the start of a PDF"], real_clock=real, clean=clean)
    assert list(refused.value.problems) == ["attachments"]
    assert ports["store"].filings.count_documents({}) == 0, "a refused filing does not count"
    for _ in range(3):
        file(ports, attachments=[PNG], real_clock=real, clean=clean)
    assert len(cleaned) == 4
    with pytest.raises(errors.TooMany):
        file(ports, attachments=[PNG] * 10, real_clock=real, clean=clean)
    assert len(cleaned) == 4, "over the limit, no file is cleaned"


def test_attachments_are_checked_by_their_bytes_added_and_sealed_at_rest(ports):
    filed = file(ports)
    code = filed["follow_up_code"]
    added = usecases.add_attachment(filed["number"], code, PNG, store=ports["store"], sealer=ports["sealer"],
                                    clock=ports["clock"], **limit(ports))
    assert added["content_type"] == "image/png"
    with pytest.raises(errors.Invalid) as refused:
        usecases.add_attachment(filed["number"], code, b"#!/bin/sh\nrm -rf /", store=ports["store"],
                                sealer=ports["sealer"], clock=ports["clock"], **limit(ports))
    assert refused.value.errors == {"attachment": ["The file is not a photo (JPEG or PNG) or a PDF."]}
    stored, _ = ports["store"].attachment(filed["number"], added["id"])
    content, kind = usecases.attachment(CHAIR, filed["number"], added["id"], store=ports["store"],
                                        sealer=ports["sealer"])
    assert content not in stored, "the database holds the photo sealed"
    assert kind == "image/png" and Image.open(io.BytesIO(content)).size == (1, 1), "the picture, drawn again"


def test_a_case_names_a_member_even_one_whose_registration_is_still_on_its_way(ports):
    usecases.remember_member(payload("company_registered", {"company": {"id": "c-2", "name": "Known B.V."}}).company,
                             store=ports["store"])
    file(ports, {**COMPLAINT, "company_id": "c-2"})
    assert ports["submission"].asked == 0, "a member heard of is not asked after"
    file(ports, {**COMPLAINT, "company_id": "c-1"})  # registered a moment ago: submission is asked
    with pytest.raises(errors.Invalid) as refused:
        file(ports, {**COMPLAINT, "company_id": "c-99"})
    assert refused.value.errors == {"company_id": ["No such member company."]}
    assert len(ports["store"].numbers()) == 2


def test_a_case_is_filed_with_all_its_files_or_not_at_all(ports):
    with pytest.raises(errors.Invalid) as refused:
        file(ports, attachments=[PNG, b"MZ\x90\x00 an executable called photo.jpg"])
    assert refused.value.errors == {"attachments": ["File 2 is not a photo (JPEG or PNG) or a PDF."]}
    assert ports["store"].numbers() == [] and ports["publisher"].of_type("case_received") == []
    filed = file(ports, attachments=[PNG, pdf_with_document_info()])
    progress = follow(ports, filed["number"], filed["follow_up_code"])
    assert [each["content_type"] for each in progress["attachments"]] == ["image/png", "application/pdf"]


def test_too_many_files_or_too_much_at_once_is_refused_by_name():
    assert domain.attachment_faults([PNG] * 11) == ["A case holds 10 attachments at most."]
    assert domain.attachment_faults([PNG, b"%PDF" + bytes(6 * 1024 * 1024)]) == ["File 2 is larger than 5 MB."]
    assert domain.attachment_faults([b"%PDF" + bytes(4 * 1024 * 1024)] * 6) == \
        ["Together the files are larger than 20 MB."]


def test_the_procedure_says_who_moves_a_case_where_and_every_step_is_recorded(ports):
    number = file(ports)["number"]
    with pytest.raises(errors.Invalid) as skipped:
        move(ports, CHAIR, number, "decided")
    assert skipped.value.errors["to"] == ["A case received can move to: acknowledged."]
    with pytest.raises(errors.Invalid) as stray:
        move(ports, MEMBER, number, "acknowledged", admissible=True)
    assert stray.value.errors == {"admissible": ["Only with the step to admissibility decided."]}
    move(ports, MEMBER, number, "acknowledged")
    with pytest.raises(errors.Forbidden) as not_theirs:  # another seat's step: not a bad request, not theirs
        move(ports, MEMBER, number, "admissibility_decided", admissible=True)
    assert not_theirs.value.message == "Only the chair may move a case that is acknowledged."
    with pytest.raises(errors.Invalid):
        move(ports, CHAIR, number, "admissibility_decided")  # without saying whether admissible
    move(ports, CHAIR, number, "admissibility_decided", admissible=True, share_with_company=True)
    shown = detail(ports, CHAIR, number)
    assert [(each["to"], each["by"].get("seat")) for each in shown["history"]] == [
        ("received", None), ("acknowledged", "employers"), ("admissibility_decided", "chair")]
    assert shown["name"] == "A. Worker" and shown["what_happened"].startswith("Workers")
    moved = ports["publisher"].of_type("case_moved")
    assert [each.data["to_state"] for each in moved] == ["acknowledged", "admissibility_decided"]
    assert moved[-1].data["company_asked"] is True


def test_who_sees_what_of_a_case(ports):
    anonymous = file(ports, {**COMPLAINT, "name": None, "contact": None})
    number = file(ports)["number"]
    company = Caller("company", "c-1")
    assert usecases.cases(company, store=ports["store"]) == [], "the company learns of nothing before admissibility"
    secretariat = detail(ports, Caller("secretariat"), number)
    assert "name" not in secretariat and "what_happened" not in secretariat and secretariat["state"] == "received"
    assert "company_id" not in secretariat, "the secretariat learns that cases exist, not whom they are about"
    assert all("company_id" not in each for each in usecases.cases(Caller("secretariat"), store=ports["store"]))
    move(ports, MEMBER, number, "acknowledged")
    move(ports, CHAIR, number, "admissibility_decided", admissible=True)
    shown = detail(ports, company, number)
    assert "what_happened" not in shown and "name" not in shown
    assert [each["to"] for each in shown["history"]] == ["admissibility_decided"], "earlier steps are not its"
    with pytest.raises(errors.Forbidden):
        usecases.answer_case(company, number, "We disagree.", store=ports["store"], sealer=ports["sealer"],
                             clock=ports["clock"])
    with pytest.raises(errors.NotFound):
        detail(ports, Caller("company", "c-2"), number)
    with pytest.raises(errors.NotFound):
        detail(ports, company, anonymous["number"])
    consented = file(ports, {**COMPLAINT, "share_identity_with_secretariat": True})
    assert detail(ports, Caller("secretariat"), consented["number"])["name"] == "A. Worker"


def test_an_appeal_is_decided_with_corrections_that_scoring_applies_once(ports):
    from services.scoring import usecases as scoring_usecases
    from services.scoring.dependencies import SHIPPED_FRAMEWORKS, Frameworks, ScoringStore
    from tests.support import blank_report, company, payload, submitted_event, with_steps_1_and_21
    who = company()
    scoring = {"store": in_memory(ScoringStore), "frameworks": Frameworks(SHIPPED_FRAMEWORKS),
               "publisher": RecordingPublisher("scoring")}
    scoring_usecases.score_submitted(payload("report_submitted", submitted_event(
        with_steps_1_and_21(blank_report()), who, report_id="r-1")), **scoring)
    first = scoring["publisher"].of_type("report_scored")[0].data
    assert first["assessment"]["outcome"] == "needs_more_time"  # an importer from India without a plan

    class Scoring:
        def assessment_of_version(self, report_id, version):
            return scoring_usecases.assessment_of_version(report_id, version, store=scoring["store"])

    appeal = usecases.file_appeal(Caller("company", who["id"]), {
        "report_id": "r-1", "version": 1, "criteria": ["plan_of_approach"],
        "reasons": "Our plan of approach was attached but not read."}, scoring=Scoring(),
        **{key: ports[key] for key in ("store", "sealer", "procedure", "publisher", "clock")})
    number = appeal["number"]
    assert [each["number"] for each in usecases.cases(Caller("company", who["id"]), store=ports["store"])] == [number]
    move(ports, MEMBER, number, "acknowledged")
    move(ports, CHAIR, number, "admissibility_decided", admissible=True)
    move(ports, CHAIR, number, "in_investigation")
    with pytest.raises(errors.Invalid):
        move(ports, CHAIR, number, "decided", decision={"outcome": "upheld"})  # which criteria?
    move(ports, CHAIR, number, "decided", decision={"outcome": "upheld", "corrections": [
        {"code": "plan_of_approach", "met": True, "why": "The plan was attached."}]})
    decided = ports["publisher"].of_type("case_moved")[-1].payload
    for _ in range(2):  # a redelivery changes nothing
        scoring_usecases.apply_appeal_decision(decided, **scoring)
    corrected = scoring["publisher"].of_type("report_scored")
    assert len({each.id for each in corrected}) == 2, "one corrected assessment, published again on redelivery"
    assert corrected[-1].data["ordinal"] == {"report_version": 1, "framework_version": 1, "correction": 1}
    criterion = next(each for each in corrected[-1].data["assessment"]["criteria"] if each["code"] == "plan_of_approach")
    assert criterion["met"] and criterion["reason"].startswith(f"Corrected on appeal (case {number})")
    assert corrected[-1].data["previous_assessment"]["outcome"] == "needs_more_time"


def write(ports, caller, number, to, text):
    return usecases.send_message(caller, number, {"to": to, "text": text}, store=ports["store"],
                                 sealer=ports["sealer"], clock=ports["clock"], publisher=ports["publisher"])


class OneAssessment:
    """Scoring as the complaints service asks it: one assessed version of company c-1's report."""

    def assessment_of_version(self, report_id, version):
        return {"company": {"id": "c-1", "name": "Company c-1", "language": "nl", "email": "dd@c-1.example"},
                "assessment": {"covenant_year": 1, "criteria": [{"code": "plan_of_approach", "met": False}]}} \
            if (report_id, version) == ("r-1", 1) else None


def test_the_commissions_message_on_an_appeal_reaches_the_company_and_its_notices(ports):
    number = usecases.file_appeal(Caller("company", "c-1"), {
        "report_id": "r-1", "version": 1, "criteria": ["plan_of_approach"], "reasons": "The plan was attached."},
        scoring=OneAssessment(), **{key: ports[key] for key in ("store", "sealer", "procedure", "publisher", "clock")})["number"]
    write(ports, CHAIR, number, "filer", "Please send the plan again.")  # an appeal's filer is the company
    ports["clock"].set("2021-03-15T11:00:00")
    write(ports, MEMBER, number, "company", "Which page?")  # before admissibility: an appeal is the company's own
    seen = detail(ports, Caller("company", "c-1"), number)
    assert [(each["to"], each["text"]) for each in seen["messages"]] == [
        ("company", "Please send the plan again."), ("company", "Which page?")]
    told = ports["publisher"].of_type("case_message_sent")
    assert [each.data for each in told] == [
        {"number": number, "kind": "assessment_appeal", "covenant_year": 2, "company_id": "c-1",
         "at": "2021-03-15T10:00:00+00:00"},
        {"number": number, "kind": "assessment_appeal", "covenant_year": 2, "company_id": "c-1",
         "at": "2021-03-15T11:00:00+00:00"}], "the company is told of each, and nothing it says travels"
    assert "Please send" not in repr([each.data for each in told])


def test_a_message_to_a_complainant_is_neither_the_companys_nor_announced(ports):
    number = file(ports)["number"]
    move(ports, MEMBER, number, "acknowledged")
    move(ports, CHAIR, number, "admissibility_decided", admissible=True)
    write(ports, CHAIR, number, "filer", "We spoke with the company.")
    assert detail(ports, Caller("company", "c-1"), number)["messages"] == []
    assert ports["publisher"].of_type("case_message_sent") == []
    write(ports, CHAIR, number, "company", "Please answer.")
    assert [each.data["company_id"] for each in ports["publisher"].of_type("case_message_sent")] == ["c-1"]
    assert [each["text"] for each in detail(ports, Caller("company", "c-1"), number)["messages"]] == ["Please answer."]


def test_the_commission_is_warned_once_per_step_as_its_time_limit_nears(ports):
    number = file(ports)["number"]  # received on 15 March: five days, so due on 20 March
    warn = dict(store=ports["store"], procedure=ports["procedure"], publisher=ports["publisher"],
                clock=ports["clock"])
    ports["clock"].set("2021-03-16T10:00:00")
    assert usecases.warn_of_time_limits(**warn) == 0
    ports["clock"].set("2021-03-17T10:00:00")  # three days before
    assert usecases.warn_of_time_limits(**warn) == 1
    assert usecases.warn_of_time_limits(**warn) == 0, "once per step"
    usecases.send_message(CHAIR, number, {"to": "filer", "text": "We read it."}, store=ports["store"],
                          sealer=ports["sealer"], clock=ports["clock"], publisher=ports["publisher"])
    assert usecases.warn_of_time_limits(**warn) == 0, "a message is no new step"
    move(ports, MEMBER, number, "acknowledged")
    ports["clock"].set("2021-04-03T10:00:00")  # the next step's twenty days near their end
    assert usecases.warn_of_time_limits(**warn) == 1
    warned = ports["publisher"].of_type("case_time_limit_approaching")
    assert [(each.data["state"], each.data["deadline"]) for each in warned] == [
        ("received", "2021-03-20"), ("acknowledged", "2021-04-06")]


@pytest.mark.parametrize("contact,refused", [("worker@example.org", False), ("06 12345678", False),
                                             ("worker@", True), ("worker @ example.org", True)])
def test_a_contact_meant_as_an_e_mail_address_must_be_one(contact, refused):
    form = {"kind": "dispute", "what_happened": "The gate was locked.", "language": "en", "contact": contact}
    try:
        schemas.Filing().load(form)
        faults = {}
    except ValidationError as exc:
        faults = exc.messages
    assert faults == ({"contact": ["Not a valid email address."]} if refused else {})


# --- the commission's independence: seats that sit, and the chair's trail of who read a filer's identity -------

def test_every_reading_of_a_filers_identity_is_recorded_for_the_chair_alone(ports):
    number = file(ports)["number"]
    anonymous = file(ports, {**COMPLAINT, "name": None, "contact": None})["number"]
    consented = file(ports, {**COMPLAINT, "share_identity_with_secretariat": True})["number"]
    secretariat = Caller("secretariat")
    ports["clock"].set("2021-03-16T09:30:00")
    assert detail(ports, MEMBER, number)["name"] == "A. Worker"
    detail(ports, CHAIR, anonymous)  # nothing to read: no reading
    detail(ports, secretariat, number)  # the filer did not agree: the secretariat reads nothing
    ports["clock"].set("2021-03-16T11:00:00")
    assert detail(ports, secretariat, consented)["contact"] == "worker@example.org"
    assert usecases.acknowledgement_address(number, store=ports["store"], sealer=ports["sealer"],
                                            clock=ports["clock"]) == "worker@example.org"

    trail = usecases.identity_readings(CHAIR, None, 1, 50, store=ports["store"])
    assert trail["total"] == 3
    assert [(each["number"], each["at"].isoformat(), each["by"]["role"], each["by"]["name"], each["read"])
            for each in trail["items"]] == [
        (number, "2021-03-16T11:00:00+00:00", "acknowledgement", None, ["contact"]),
        (consented, "2021-03-16T11:00:00+00:00", "secretariat", None, ["name", "contact"]),
        (number, "2021-03-16T09:30:00+00:00", "commission", "Member", ["name", "contact"])]
    assert trail["items"][-1]["by"] == {"role": "commission", "id": "member-2", "seat": "employers", "name": "Member"}
    assert usecases.identity_readings(CHAIR, consented, 1, 50, store=ports["store"])["total"] == 1
    for caller in (MEMBER, secretariat, Caller("company", "c-1")):
        with pytest.raises(errors.Forbidden):
            usecases.identity_readings(caller, None, 1, 50, store=ports["store"])


def test_a_seat_takes_part_only_once_the_chair_confirmed_it_whatever_order_the_events_come_in(ports):
    number = file(ports)["number"]
    newcomer = payload("commission_member_seated", {"member": {
        "id": "member-3", "name": "Newcomer", "seat": "unions_and_ngos", "email": "n@x.nl", "language": "en"}}).member
    usecases.remember_commission_member(newcomer, False, store=ports["store"])
    caller = Caller("commission", "member-3")
    for attempt in (lambda: detail(ports, caller, number), lambda: usecases.cases(caller, store=ports["store"]),
                    lambda: move(ports, caller, number, "acknowledged")):
        with pytest.raises(errors.Unavailable):
            attempt()
    assert usecases.identity_readings(CHAIR, None, 1, 50, store=ports["store"])["total"] == 0, "nothing read"
    usecases.remember_commission_member(newcomer, True, store=ports["store"])  # the chair's confirmation
    usecases.remember_commission_member(newcomer, False, store=ports["store"])  # its registration, late
    assert move(ports, caller, number, "acknowledged")["state"] == "acknowledged"


def test_an_appeal_against_a_report_that_is_not_the_companys_is_not_found(ports):
    class Scoring:
        def assessment_of_version(self, report_id, version):
            return {"company": {"id": "c-other", "name": "Other", "language": "nl", "email": "o@x.nl"},
                    "assessment": {"criteria": [{"code": "plan_of_approach"}], "covenant_year": 1}}
    with pytest.raises(errors.NotFound):  # as for a version nobody assessed: the same answer
        usecases.file_appeal(Caller("company", "c-1"), {
            "report_id": "r-1", "version": 1, "criteria": ["plan_of_approach"], "reasons": "Not ours to contest."},
            scoring=Scoring(), **{key: ports[key] for key in ("store", "sealer", "procedure", "publisher", "clock")})
    assert ports["store"].numbers() == []


# --- what a case keeps, and what it does not (issue 24) ------------------------------------------------------

def test_a_filing_keeps_neither_the_address_nor_the_moment_only_a_keyed_mark_and_the_hour(ports):
    real = on_the_hour(SettableClock())
    real.advance(minutes=47, seconds=13)
    file(ports, address="198.51.100.10", real_clock=real)
    kept = list(ports["store"].filings.find())
    assert "198.51.100.10" not in str(kept) and len(kept) == 1
    assert kept[0]["hour"] == on_the_hour(SettableClock()).now(), "the hour, not the moment"
    keys = list(ports["store"].mark_keys.find())
    assert len(keys) == 1 and keys[0]["key"] not in str(kept), "the day's key is kept apart from the marks"
    key = base64.urlsafe_b64decode(ports["sealer"].open(keys[0]["key"]))
    assert len(key) == 32 and keys[0]["key"] != ports["sealer"].open(keys[0]["key"]), "random, and kept sealed"
    days = [(real.now() - timedelta(days=back)).date().isoformat() for back in (0, 1)]
    for sealer in (ports["sealer"], Sealer(Sealer.new_key(), setting="COMPLAINTS_SECRET_KEY", without_key="")):
        assert kept[0]["mark"] not in [sealer.digest(f"{day}|198.51.100.10") for day in days] + \
            [sealer.digest("198.51.100.10")], "not a hash under a key derived from a setting"
    first_day = real.now().date()
    real.advance(hours=22)  # within 24 hours of the first (the next day, unless that was filed before 2:00)
    for _ in range(2):
        file(ports, address="198.51.100.10", real_clock=real)
    marks = {each["mark"] for each in ports["store"].filings.find()}
    assert len(marks) == (1 if real.now().date() == first_day else 2), \
        "each day's key makes another mark of the same address: yesterday's cannot be matched with today's"
    with pytest.raises(errors.TooMany):  # yet the limit counts yesterday's filing (under yesterday's key)
        file(ports, address="198.51.100.10", real_clock=real)


def test_an_old_mark_can_be_matched_by_no_one_once_its_day_key_is_gone(ports):
    real = on_the_hour(SettableClock())
    file(ports, address="198.51.100.10", real_clock=real)
    old_mark = ports["store"].filings.find_one()["mark"]
    first_day = real.now().date().isoformat()
    real.advance(days=1)  # the next day: yesterday's key still counts its marks
    assert old_mark in usecases._marks("198.51.100.10", real.now(), domain.FILING_WINDOW, "filing",
                                       store=ports["store"], sealer=ports["sealer"])
    real.advance(days=1, hours=2)  # no mark made on the first day can count any more
    file(ports, address="198.51.100.11", real_clock=real)
    kept = {each["_id"]: each["key"] for each in ports["store"].mark_keys.find()}
    assert first_day not in kept, "its key is deleted with the window, as MongoDB's expiry would"
    # What is left (the mark, say in a backup, and every key the database still holds, opened with
    # COMPLAINTS_SECRET_KEY) cannot tell whether 198.51.100.10 made the mark.
    assert old_mark not in usecases._marks("198.51.100.10", real.now(), domain.FILING_WINDOW, "filing",
                                           store=ports["store"], sealer=ports["sealer"])


def test_the_filing_limit_holds_across_instances_that_share_the_store(ports):
    """Two instances of the service (each its own sealer, with the same COMPLAINTS_SECRET_KEY): the first to
    need the day's key makes it, the other uses that one, so an address is counted as one."""
    key = Sealer.new_key()
    instances = [{**ports, "sealer": Sealer(key, setting="COMPLAINTS_SECRET_KEY", without_key="")} for _ in (1, 2)]
    real = on_the_hour(SettableClock())
    made = []
    for instance in (0, 1, 0):
        made.append(file(instances[instance], address="198.51.100.10", real_clock=real)["number"])
    for instance in instances:
        with pytest.raises(errors.TooMany):
            file(instance, address="198.51.100.10", real_clock=real)
    assert ports["store"].mark_keys.count_documents({}) == 1, "one key of the day, whichever instance made it"
    assert len({each["mark"] for each in ports["store"].filings.find()}) == 1


def test_a_day_key_sealed_with_a_key_no_longer_listed_is_made_again_not_a_failure(ports):
    real = on_the_hour(SettableClock())
    file(ports, address="198.51.100.10", real_clock=real)
    replaced = {**ports, "sealer": Sealer(Sealer.new_key(), setting="COMPLAINTS_SECRET_KEY", without_key="")}
    assert file(replaced, address="198.51.100.10", real_clock=real)["number"] == "K-2021-0002"
    assert ports["store"].mark_keys.count_documents({}) == 1, "the day's key, made again under the new setting"
    assert replaced["sealer"].open(ports["store"].mark_keys.find_one()["key"]) is not None


def test_follow_up_codes_are_read_in_any_case_and_grouping_and_old_codes_still_open_their_case(ports):
    filed = file(ports)
    code = filed["follow_up_code"]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}", code), code
    for typed in (code, code.lower(), code.replace("-", ""), " " + code.replace("-", " ") + " ",
                  code.replace("0", "O").replace("1", "l")):
        assert follow(ports, filed["number"], typed)["number"] == filed["number"], typed
    # a case filed before codes came in groups: its 22-character code of mixed case, exactly as handed out
    old = file(ports)
    ports["store"].changes.update_one({"number": old["number"], "seq": 1},
                                      {"$set": {"filed.follow_up_hash": token_hash("aB3dE5fG7hJ9kL1mN3pQ5r")}})
    assert follow(ports, old["number"], "aB3dE5fG7hJ9kL1mN3pQ5r")["number"] == old["number"]
    with pytest.raises(errors.NotFound):
        follow(ports, old["number"], "AB3DE5FG7HJ9KL1MN3PQ5R")


def test_wrong_follow_up_codes_are_limited_per_case_and_address_and_never_hold_up_the_filer(ports):
    """Case numbers are public and sequential: a limit per case alone would let anyone lock a filer out of
    its case hour after hour. An address's wrong codes hold up that address only."""
    filed, other = file(ports), file(ports)
    for guess in range(3):
        with pytest.raises(errors.NotFound):
            follow(ports, filed["number"], f"{guess:04d}-AAAA-AAAA-AAAA-AAAA", attempts=3, address="198.51.100.66")
    with pytest.raises(errors.TooMany) as refused:
        follow(ports, filed["number"], filed["follow_up_code"], attempts=3, address="198.51.100.66")
    assert refused.value.retry_after == 3600 and "Too many wrong follow-up codes" in refused.value.message
    assert follow(ports, filed["number"], filed["follow_up_code"], attempts=3, address="203.0.113.7"), \
        "the filer, from its own address, follows its case"
    assert follow(ports, other["number"], other["follow_up_code"], attempts=3, address="198.51.100.66"), \
        "nor is another case held up"
    ports["real"].advance(hours=1, seconds=1)
    assert follow(ports, filed["number"], filed["follow_up_code"], attempts=3,
                  address="198.51.100.66")["number"] == filed["number"]
    kept = str(list(ports["store"].follow_up_attempts.find()))
    assert "198.51.100" not in kept and "203.0.113" not in kept, "an address only as its mark"


def test_the_marks_kept_for_filings_and_for_each_cases_wrong_codes_cannot_be_matched(ports):
    """The store must not say which address that filed mistyped which case's code, nor that one address
    guessed at several cases: each limit marks an address under a purpose of its own."""
    first = file(ports, address="198.51.100.20")
    second = file(ports)
    for number in (first["number"], second["number"]):
        with pytest.raises(errors.NotFound):
            follow(ports, number, "0000-AAAA-AAAA-AAAA-AAAA", address="198.51.100.20")
    filed = {each["mark"] for each in ports["store"].filings.find()}
    guessed = [each["mark"] for each in ports["store"].follow_up_attempts.find()]
    assert len(guessed) == 2 and len(set(guessed)) == 2, "one address's guesses at two cases: two marks"
    assert not filed & set(guessed), "a filing's mark is no wrong code's"


def test_many_wrong_codes_for_one_case_are_told_and_never_lock_it(ports):
    filed = file(ports)
    for place in range(6):  # six addresses, each within its own limit
        with pytest.raises(errors.NotFound):
            follow(ports, filed["number"], "0000-AAAA-AAAA-AAAA-AAAA", attempts=3, alert_after=5,
                   address=f"198.51.100.{place}")
    assert ports["alarms"] == [filed["number"]] * 2, "the fifth and the sixth wrong code, from anywhere, in the hour"
    assert follow(ports, filed["number"], filed["follow_up_code"], attempts=3, alert_after=5,
                  address="203.0.113.7")["number"] == filed["number"], "the case is not locked"
    assert ports["alarms"] == [filed["number"]] * 2, "the right code raises no alarm"


def test_the_party_and_the_commissions_reasons_are_sealed_at_rest(ports):
    filed = file(ports, {**COMPLAINT, "company_id": None, "party": "Werkplaats De Vries, Ongole"})
    usecases.move_case(CHAIR, filed["number"], {"to": "acknowledged", "reason": "Gesprek met de melder op 3 maart"},
                       store=ports["store"], sealer=ports["sealer"], procedure=ports["procedure"],
                       publisher=ports["publisher"], clock=ports["clock"])
    stored = str(list(ports["store"].changes.find()))
    assert "De Vries" not in stored and "Gesprek met de melder" not in stored
    shown = detail(ports, CHAIR, filed["number"])
    assert shown["party"] == "Werkplaats De Vries, Ongole"
    assert shown["history"][-1]["reason"] == "Gesprek met de melder op 3 maart"
    # a case filed before the party was sealed still shows it
    ports["store"].changes.update_one({"number": filed["number"], "seq": 1},
                                      {"$unset": {"filed.sealed.party": ""}, "$set": {"filed.party": "Oud B.V."}})
    assert detail(ports, CHAIR, filed["number"])["party"] == \
        "Oud B.V."


def test_a_photos_place_and_phone_and_a_pdfs_author_are_gone_before_they_are_kept(ports):
    photo, document = photo_with_gps(), pdf_with_document_info()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)[2] == GPS_LATITUDE
    filed = file(ports, attachments=[photo, document])
    progress = follow(ports, filed["number"], filed["follow_up_code"])
    kept = [usecases.attachment(CHAIR, filed["number"], each["id"], store=ports["store"], sealer=ports["sealer"])
            for each in progress["attachments"]]
    (jpeg, jpeg_type), (pdf, pdf_type) = kept
    assert (jpeg_type, pdf_type) == ("image/jpeg", "application/pdf")
    shown = Image.open(io.BytesIO(jpeg))
    assert dict(shown.getexif()) == {} and not shown.getexif().get_ifd(0x8825), "no EXIF, no GPS"
    assert b"Phone" not in jpeg and b"Jan" not in jpeg and "comment" not in shown.info
    assert shown.size == (48, 64), "turned upright as the phone showed it, then written without its EXIF"
    opened = pikepdf.open(io.BytesIO(pdf))
    assert "/Info" not in opened.trailer and "/Metadata" not in opened.Root and len(opened.pages) == 1
    assert b"Jan Jansen" not in pdf and b"Scanner" not in pdf
    assert [each["size"] for each in progress["attachments"]] == [len(jpeg), len(pdf)]


def test_a_file_that_only_starts_like_a_photo_is_refused():
    broken = photo_with_gps()[:200]  # a JPEG's first bytes, then nothing
    with pytest.raises(cleaning.Unreadable):
        cleaning.cleaned(broken, "image/jpeg")
    with pytest.raises(cleaning.Unreadable):
        cleaning.cleaned(b"%PDF-1.4\n...", "application/pdf")


@pytest.mark.parametrize("admissible", [True, False])
def test_the_filer_and_the_commission_read_which_way_admissibility_was_decided(ports, admissible):
    filed = file(ports)
    number = filed["number"]
    assert follow(ports, number, filed["follow_up_code"])["admissible"] is None, "not decided yet"
    move(ports, MEMBER, number, "acknowledged")
    move(ports, CHAIR, number, "admissibility_decided", admissible=admissible)
    progress = follow(ports, number, filed["follow_up_code"])
    assert progress["admissible"] is admissible
    assert [(each["state"], each["admissible"]) for each in progress["steps"]] == [
        ("received", None), ("acknowledged", None), ("admissibility_decided", admissible)]
    assert [each["admissible"] for each in detail(ports, CHAIR, number)["history"]] == [None, None, admissible]
    assert detail(ports, CHAIR, number)["language"] == "en", "the commission writes in the filer's language"
    listed = usecases.cases(MEMBER, store=ports["store"])
    assert [(each["number"], each["admissible"]) for each in listed] == [(number, admissible)]
    assert "admissible" not in usecases.cases(Caller("secretariat", "s"), store=ports["store"])[0], \
        "the secretariat sees that cases exist and where they stand"


class Reports(Members):
    """The submission service as complaints asks it: the member list and one sent report version."""

    def report_version(self, report_id, version):
        return {"report_id": "r-1", "version": 1, "company_id": "c-1", "covenant_year": 1,
                "submitted_at": "2020-12-01T10:00:00+00:00", "report": {"plan_of_approach": True}} \
            if (report_id, version) == ("r-1", 1) else None


def test_the_commission_reads_the_report_an_appeal_contests_and_no_other(ports):
    number = usecases.file_appeal(Caller("company", "c-1"), {
        "report_id": "r-1", "version": 1, "criteria": ["plan_of_approach"], "reasons": "The plan was attached."},
        scoring=OneAssessment(), **{key: ports[key] for key in ("store", "sealer", "procedure", "publisher", "clock")})["number"]
    read = usecases.appealed_report(MEMBER, number, store=ports["store"], submission=Reports("c-1"))
    assert (read["report"], read["version"], read["criteria"]) == ({"plan_of_approach": True}, 1, ["plan_of_approach"])
    complaint = file(ports)["number"]
    with pytest.raises(errors.NotFound):  # a complaint about the company opens none of its reports
        usecases.appealed_report(MEMBER, complaint, store=ports["store"], submission=Reports("c-1"))
    for stranger in (Caller("company", "c-1"), Caller("secretariat", "s")):
        with pytest.raises(errors.NotFound):
            usecases.appealed_report(stranger, number, store=ports["store"], submission=Reports("c-1"))
    with pytest.raises(errors.Unavailable):  # a seat not (yet) heard of as seated takes no part
        usecases.appealed_report(Caller("commission", "not-seated"), number, store=ports["store"],
                                 submission=Reports("c-1"))


class ReportFiles(Reports):
    """The submission service, with the one file version 1 of report r-1 names (the plan of approach)."""

    def report_version_file(self, report_id, version, file_id):
        return {"content": base64.b64encode(PNG).decode(), "content_type": "image/png", "name": "report-file-1.png",
                "company_id": "c-1"} if (report_id, version, file_id) == ("r-1", 1, "plan") else None


def test_the_commission_reads_the_files_of_the_version_an_appeal_contests_and_no_other(ports):
    number = usecases.file_appeal(Caller("company", "c-1"), {
        "report_id": "r-1", "version": 1, "criteria": ["plan_of_approach"], "reasons": "The plan was attached."},
        scoring=OneAssessment(), **{key: ports[key] for key in ("store", "sealer", "procedure", "publisher", "clock")})["number"]
    submission = ReportFiles("c-1")
    assert usecases.appealed_report_file(MEMBER, number, "plan", store=ports["store"], submission=submission) == \
        (PNG, "image/png", "report-file-1.png")
    with pytest.raises(errors.NotFound):  # a file the contested version does not name
        usecases.appealed_report_file(MEMBER, number, "other", store=ports["store"], submission=submission)
    complaint = file(ports)["number"]
    with pytest.raises(errors.NotFound):  # a complaint about the company opens none of its files
        usecases.appealed_report_file(MEMBER, complaint, "plan", store=ports["store"], submission=submission)
    for stranger in (Caller("company", "c-1"), Caller("secretariat", "s")):
        with pytest.raises(errors.NotFound):
            usecases.appealed_report_file(stranger, number, "plan", store=ports["store"], submission=submission)
