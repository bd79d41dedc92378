"""Reports, companies and events to test with, built from a blank report that meets nothing; the
forms a page posts; files a complainant sends; the seed's figures."""
from __future__ import annotations

import copy
import uuid


from common import events
from tests.support.basics import example_report
from tests.support.fakes import shipped_frameworks


# --- reports and companies, built from a blank report that meets nothing ----------------------------------

LINKS = ("direct_suppliers", "factories", "quarry_regions", "quarries")


def blank_report(covenant_year: int = 1, **overrides) -> dict:
    """A valid report in which no criterion is met (an importer from India that knows nothing yet)."""
    report = {
        "covenant_year": covenant_year,
        "chains": None,
        "supply_chain": {link: {"known": 0, "total": 10} for link in LINKS},
        "production_countries": ["IN"],
        "quarry_regions": [],
        "materials": ["granite"],
        "risks": [],
        "risk_prioritisation": "none",
        "policy": {"statement_adopted": False, "embedded_in_management": False, "shared_with_suppliers": False},
        "mitigation": [],
        "plan_of_approach": False,
        "monitoring": {"systematic": False, "effectiveness_evaluated": False},
        "communication": {"public_report_url": None},
        "remediation": {"grievance_mechanism": False},
        "evidence": [],
    }
    report.update(copy.deepcopy(overrides))
    return report


def with_steps_1_and_21(report: dict) -> dict:
    """Steps 1 (policy) and 2.1 (every link of the chain fully known) complete."""
    report = copy.deepcopy(report)
    report["policy"] = {"statement_adopted": True, "embedded_in_management": True, "shared_with_suppliers": True}
    report["supply_chain"] = {link: {"known": 10, "total": 10} for link in LINKS}
    return report


def risk(theme="health_and_safety", country="IN", source="site_visit", **overrides) -> dict:
    return {"theme": theme, "country": country, "severity": "high", "likelihood": "medium", "actual": True,
            "source": source, **overrides}


def mitigation(kind="supplier_improvement", country="IN") -> dict:
    return {"kind": kind, "country": country, "description": f"A {kind.replace('_', ' ')}."}


def company(role="importer", imports_directly=True, country="NL", joined_on="2019-10-01", language="nl",
            company_id=None) -> dict:
    """A company snapshot as events carry it."""
    company_id = company_id or uuid.uuid4().hex
    return {"id": company_id, "name": f"Company {company_id[:6]}", "country": country, "role": role,
            "imports_directly": imports_directly, "joined_on": joined_on, "language": language,
            "email": f"{company_id[:6]}@example.nl"}


def submitted_event(report: dict, who: dict, version: int = 1, report_id: str = "r-1",
                    submitted_at: str = "2020-12-01T10:00:00+00:00") -> dict:
    """The data of a report_submitted event."""
    return {"report_id": report_id, "version": version, "previous_version": version - 1 or None,
            "covenant_year": report["covenant_year"], "submitted_at": submitted_at, "company": who,
            "report": report}


def payload(event_type: str, data: dict):
    """An event's data as the typed payload its handler hands the use case (what `Event.payload` gives)."""
    return events.typed(event_type, data)


def scored_event(report: dict, who: dict, version: int = 1, report_id: str = "r-1", framework_version: int = 1,
                 previous: dict | None = None, submitted_at: str = "2020-12-01T10:00:00+00:00") -> dict:
    """The data of a report_scored event, scored with the shipped framework of the report's year (as
    scoring would make it, with the framework version the test names)."""
    from dataclasses import replace

    from services.scoring.domain import assess, report_scored
    framework = replace(shipped_frameworks()[report["covenant_year"]], version=framework_version)
    submitted = submitted_event(report, who, version, report_id, submitted_at)
    return report_scored(submitted, framework, assess(report, who, framework), previous)


def event_examples(who: dict) -> dict[str, dict]:
    """A valid example of every event type's data, as its producer sends it (about the company `who`)."""
    report = example_report()
    first = scored_event(report, who, report_id="r-v")
    corrected = "policy_statement_adopted"
    decision = {"outcome": "upheld", "corrections": [{"code": corrected, "met": True, "why": "Shown."}],
                "appeal": {"report_id": "r-v", "version": 2, "covenant_year": 1, "criteria": [corrected]},
                "decided_by": "chair"}
    case = {"number": "2021-0001", "kind": "assessment_appeal", "covenant_year": 1, "language": "nl"}
    return {
        "company_registered": {"company": who},
        "authority_registered": {"authority": {"id": "a-v", "name": "Gemeente Leiden", "country": "NL",
                                               "joined_on": "2020-03-01"}},
        "commission_member_registered": {"member": {"id": "m-v", "name": "Chair", "seat": "chair",
                                                    "email": "chair@example.org", "language": "en"},
                                         "seated": True},
        "commission_member_seated": {"member": {"id": "m-w", "name": "Member", "seat": "employers",
                                                "email": "member@example.org", "language": "nl"},
                                     "seated_by": "m-v", "seated_at": "2021-03-01T10:00:00+00:00"},
        "member_token_replaced": {"replacement_id": "t-v", "member": {
            "id": who["id"], "role": "company", "name": who["name"], "language": who["language"],
            "email": who["email"]}, "replaced_by": {"role": "secretariat", "id": None, "seat": None},
            "replaced_at": "2021-03-01T10:00:00+00:00"},
        "report_submitted": submitted_event(report, who, version=2, report_id="r-v"),
        "report_scored": scored_event(report, who, version=2, report_id="r-v", previous=first["assessment"]),
        "report_verified": {"covenant_year": 1, "company_id": who["id"], "report_id": "r-v", "version": 1,
                            "result": "confirmed", "verified_on": "2021-03-01", "sequence": 1},
        "verification_sample_drawn": {"covenant_year": 1, "seed": "s", "population": 1,
                                      "drawn_at": "2021-03-01T10:00:00+00:00",
                                      "sampled": [{"report_id": "r-v", "version": 1, "company": who}]},
        "case_received": {**case, "filed_at": "2021-01-05T10:00:00+00:00", "company_id": who["id"],
                          "deadline": "2021-01-10", "acknowledgement": False},
        "case_moved": {**case, "from_state": "in_investigation", "to_state": "decided",
                       "at": "2021-02-05T10:00:00+00:00", "company_id": who["id"], "admissible": True,
                       "company_asked": False, "deadline": None, "decision": decision},
        "case_message_sent": {"number": "2021-0001", "kind": "assessment_appeal", "covenant_year": 1,
                              "at": "2021-02-05T10:00:00+00:00", "company_id": who["id"]},
        "case_time_limit_approaching": {"number": "2021-0001", "kind": "complaint", "state": "received",
                                        "deadline": "2021-01-10", "covenant_year": 1},
        "framework_corrected": {"covenant_year": 1, "version": 1},
        "unknown_region_reported": {"country": "IN", "state": "IN-RJ", "region": "Kalkberg", "covenant_year": 1},
        "unknown_state_reported": {"country": "IN", "state": "Rajastan", "region": "Kalkberg", "covenant_year": 1},
    }


def form_fields(state: dict) -> dict[str, list[str]]:
    """What a browser posts for the portal's report form showing `state` (the names its inputs have)."""
    from services.portal import domain
    fields: dict[str, list[str]] = {"chains": [state["chains"]], "risk_prioritisation": [state["risk_prioritisation"]],
                                    "communication.public_report_url": [state["communication"]["public_report_url"]],
                                    "materials": list(state["materials"])}
    for link, pair in state["supply_chain"].items():
        for part, value in pair.items():
            fields[f"supply_chain.{link}.{part}"] = [value]
    for group, names in domain.BOOLEANS.items():
        for name in names:
            if state[group][name]:
                fields[f"{group}.{name}"] = ["yes"]
    if state["plan_of_approach"]:
        fields["plan_of_approach"] = ["yes"]
    fields["plan_of_approach_file"] = [state.get("plan_of_approach_file", "")]  # a hidden input: the file's id
    for index, code in enumerate(state["production_countries"]):
        fields[f"production_countries.{index}"] = [code]
    for group in ("quarry_regions", "risks", "mitigation", "evidence"):
        for index, row in enumerate(state[group]):
            for name, value in row.items():
                if isinstance(value, dict):
                    for part, each in value.items():
                        fields[f"{group}.{index}.{name}.{part}"] = [each]
                else:
                    fields[f"{group}.{index}.{name}"] = [value]
    return fields


# --- files a complainant sends, with what they say besides what they show --------------------------------

GPS_LATITUDE = (52.0, 5.0, 30.0)  # where the photo was taken, as a phone writes it


def photo_with_gps() -> bytes:
    """A JPEG photo as a phone takes one: EXIF naming the phone, its orientation and, in its GPS block,
    where it was taken; and a comment."""
    import io

    from PIL import Image
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "PhoneMaker", "Phone X Pro", 6  # make, model, rotated
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", GPS_LATITUDE, "E", (4.0, 53.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 140, 90)).save(out, "JPEG", exif=exif.tobytes(), comment=b"Jan's phone")
    return out.getvalue()


def pdf_with_document_info() -> bytes:
    """A one-page PDF whose document information and XMP name its author and the program that made it."""
    import io

    import pikepdf
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"], pdf.docinfo["/Producer"] = "Jan Jansen", "Scanner 3000"
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = ["Jan Jansen"]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


# --- the seed's figures ---------------------------------------------------------------------------------

def assert_seed_figures(shown: dict) -> None:
    """Every figure of covenant year 1 in the covenant's first annual report."""
    assert shown["assessed_reports"] == 26
    assert shown["outcomes"] == {"compliant": 21, "needs_more_time": 5}
    assert shown["bands"]["compliant"] == {"<20": 0, "20-40": 8, "40-60": 11, ">=60": 2}
    assert shown["requirements"]["min_score"] == {"met": 21, "applicable": 26}
    assert shown["requirements"]["chain_insight"] == {"met": 21, "applicable": 26}
    assert shown["requirements"]["plan_of_approach"] == {"met": 20, "applicable": 25}
    assert shown["supply_chain"] == {"mean_quarries_known_percent": 37.0, "mean_factories_known_percent": 58.0}
    assert shown["chains_per_company"] == {"<5": 2, "5-10": 4, "11-50": 17, ">50": 1, "unknown": 2}
    countries = {each["country"]: each["companies"] for each in shown["production_countries"]}
    assert {code: countries[code] for code in ("IN", "CN", "VN", "PT", "IT", "TR")} == \
        {"IN": 20, "CN": 14, "VN": 12, "PT": 5, "IT": 4, "TR": 4}
    assert len(countries) == 6  # a country is named from 3 companies ...
    assert len(countries) + shown["other_production_countries"] == 20  # ... of "about 20 countries in all"
    assert [(each["region"], each["state_name"], each["country"]) for each in shown["quarry_regions"]] == [
        ("Bundi", "Rajasthan", "IN"), ("Chittoor", "Andhra Pradesh", "IN"), ("Prakasam", "Andhra Pradesh", "IN"),
        ("Rangareddy", "Telangana", "IN"), ("Yên Định", "Thanh Hóa", "VN")]
    members = shown["participation"]["members"]
    assert (members["NL"]["importer"]["end"], members["NL"]["processor"]["end"]) == (15, 5)
    assert (members["BE"]["importer"]["end"], members["BE"]["processor"]["end"]) == (14, 2)
    assert (members["NL"]["importer"]["start"], members["NL"]["processor"]["start"],
            members["BE"]["importer"]["start"], members["BE"]["processor"]["start"]) == (10, 1, 13, 0)
    assert members["NL"]["importer"]["target_end"] == 29
    assert shown["participation"]["contracting_authorities"] == {"start": 31, "end": 37, "target": 30}
    assert shown["steps"] == {
        "policy_and_chain_mapping_complete": 21,
        "mitigation": {"any": 11, "supplier_improvement": 7, "regional_project": 3, "certification_programme": 2},
        "systematic_monitoring": 3, "public_communication": 2}
    assert 11 <= shown["risks"]["companies_with_any_risk"] <= 15  # "about half"
