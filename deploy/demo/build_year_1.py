"""Builds deploy/demo/year-1.json: a synthetic covenant year 1 that reproduces the first annual report.

    python deploy/demo/build_year_1.py      (tests/unit/test_demo_data.py checks the file and its figures)

Members, contracting authorities and 26 reports are invented; the figures they give are the seed's
(the covenant's first annual report): 26 assessed, 21 compliant with bands 8 / 11 / 2, chain insight 21 of 26, plan of
approach 20 of 25, 37 % of quarries and 58 % of factories known on average, chains 2 / 4 / 17 / 1,
India 20, China 14, Vietnam 12, Portugal 5, Italy 4, Turkey 4, five quarry regions over five companies,
members 15 + 5 Dutch and 14 + 2 Flemish, 37 contracting authorities, steps 21 / 11 / 3 / 2.
"""
from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "year-1.json"
CLOCK = "2020-12-15T09:00:00+00:00"  # inside year 1's reporting round

NL_NAMES = ["Steenhandel Aalsmeer", "Van Dijk Natuursteen", "Grafsteen Brabant", "Noordzee Steenimport",
            "De Hardsteen Groep", "Bouwsteen Twente", "Koninklijke Steenhouwerij", "Groene Kei Import",
            "Limburgse Steenhandel", "Deltasteen", "Gevelsteen Holland", "Straatwerk Import", "Kasteelsteen",
            "Maassteen", "Veluwe Graniet"]
NL_PROCESSORS = ["Steenhouwerij Utrecht", "Atelier Zerken", "Werkplaats Marmer", "Polijsterij Zwolle",
                 "Tegelzagerij Delft"]
BE_NAMES = ["Blauwe Steen NV", "Vlaamse Natuursteen", "Scheldesteen", "Kempense Steenhandel", "Antwerp Granite",
            "Leiestreek Steen", "Westhoek Tegels", "Brugse Steenimport", "Haspengouw Steen", "Meetjesland Stone",
            "Pajottenland Graniet", "Waaslandse Steen", "Dijlesteen", "Limburg Stone Trading"]
BE_PROCESSORS = ["Steenkapperij Gent", "Marbrerie Leuven"]
AUTHORITIES_BE = [f"Gemeente {name}" for name in (
    "Antwerpen", "Gent", "Brugge", "Leuven", "Mechelen", "Aalst", "Kortrijk", "Hasselt", "Sint-Niklaas",
    "Oostende", "Genk", "Roeselare", "Turnhout", "Dendermonde", "Beveren", "Vilvoorde", "Lokeren", "Geel",
    "Mol", "Lier", "Ieper", "Tienen", "Waregem", "Ninove", "Herentals", "Izegem", "Knokke-Heist", "Tielt")]
AUTHORITIES_NL_START = ["Gemeente Utrecht", "Gemeente Rotterdam", "Gemeente Eindhoven"]
AUTHORITIES_NL_JOINED = ["Gemeente Amsterdam", "Gemeente Leiden", "Gemeente Den Haag", "Gemeente Haarlem",
                         "Gemeente Delft", "Gemeente Nijmegen"]

REGIONS = {
    "Bundi": ("IN", "Rajasthan"), "Prakasam": ("IN", "Andhra Pradesh"), "Chittoor": ("IN", "Andhra Pradesh"),
    "Rangareddy": ("IN", "Telangana"), "Yên Định": ("VN", "Thanh Hóa"), "Khammam": ("IN", "Telangana"),
    "Karimnagar": ("IN", "Telangana"), "Kota": ("IN", "Rajasthan"), "Xiamen": ("CN", "Fujian"),
    "Laizhou": ("CN", "Shandong"), "Estremoz": ("PT", "Évora"), "Carrara": ("IT", "Toscana"),
    "Afyon": ("TR", "Afyonkarahisar"), "Ninh Bình": ("VN", "Ninh Bình"),
}

# The 26 reporting importers. pts: what they did beyond steps 1 and 2.1 (and the plan of approach, which
# every compliant importer from risk countries attaches). Points in year 1: risk 5, independent 5,
# prioritised 5, supplier 8, regional 6, certification 6, systematic 10, effectiveness 5, public 15.
# (name, member country, outcome, extras, countries, regions, materials, risk themes, chains,
#  factories known/total, quarries known/total)
COMPANIES = [
    # -- compliant, 20-40 % (8) ----------------------------------------------------------------------
    ("EEA", "NL", "compliant", [], ["PT", "IT"], ["Estremoz"], ["marble", "limestone"], [], 8, (6, 8), (3, 8)),
    ("C2", "NL", "compliant", [], ["IN"], ["Bundi", "Xiamen"], ["sandstone", "granite"], [], 14, (11, 20), (3, 10)),
    ("C3", "BE", "compliant", [], ["IN", "VN"], ["Prakasam", "Yên Định", "Chittoor"], ["granite", "limestone"], [], 22,
     (27, 40), (9, 20)),
    ("C4", "NL", "compliant", ["risk"], ["IN", "CN", "VN"], ["Chittoor", "Bundi"], ["granite"],
     ["health_and_safety"], 35, (5, 10), (3, 10)),
    ("C5", "BE", "compliant", ["risk"], ["CN", "VN", "MZ"], ["Laizhou", "Yên Định"], ["granite", "limestone"],
     ["freedom_of_association"], 7, (6, 10), (4, 10)),
    ("C6", "NL", "compliant", ["risk", "independent"], ["IN", "TR"], ["Rangareddy", "Afyon"], ["granite", "marble"],
     ["health_and_safety", "living_wage"], 18, (8, 10), (6, 10)),
    ("C7", "BE", "compliant", ["risk", "prioritised"], ["IN", "CN"], ["Prakasam", "Xiamen"], ["granite"],
     ["site_closure"], 27, (6, 10), (3, 10)),
    ("C8", "NL", "compliant", ["supplier"], ["IN", "VN", "EG"], ["Bundi", "Ninh Bình"], ["sandstone", "limestone"],
     [], 15, (5, 10), (3, 10)),
    # -- compliant, 40-60 % (11) ---------------------------------------------------------------------
    ("C9", "BE", "compliant", ["supplier", "risk"], ["IN", "CN", "BR"], ["Chittoor", "Laizhou"], ["granite"],
     ["health_and_safety", "environment"], 40, (7, 10), (4, 10)),
    ("C10", "NL", "compliant", ["supplier", "risk"], ["IN", "VN", "BG"], ["Rangareddy", "Yên Định"], ["granite", "limestone"],
     ["health_and_safety"], 16, (6, 10), (4, 10)),
    ("C11", "BE", "compliant", ["supplier", "risk", "prioritised"], ["IN", "CN", "TR"], ["Bundi", "Khammam"],
     ["sandstone", "marble"], ["health_and_safety", "child_labour"], 44, (7, 10), (6, 10)),
    ("C12", "NL", "compliant", ["supplier", "regional"], ["IN", "CN", "ES"], ["Prakasam", "Karimnagar", "Rangareddy"],
     ["granite", "slate"], [], 21, (6, 10), (4, 10)),
    ("C13", "BE", "compliant", ["certification", "risk"], ["CN", "VN", "NO"], ["Xiamen", "Yên Định"],
     ["granite", "basalt"], ["environment", "freedom_of_association"], 6, (5, 10), (3, 10)),
    ("C14", "NL", "compliant", ["certification", "risk", "independent"], ["IN", "PT", "ZA"], ["Chittoor", "Estremoz"],
     ["granite", "marble"], ["health_and_safety", "living_wage"], 33, (7, 10), (5, 10)),
    ("C15", "BE", "compliant", ["supplier", "systematic"], ["IN", "CN"], ["Rangareddy", "Laizhou"], ["granite"],
     [], 48, (6, 10), (4, 10)),
    ("C16", "NL", "compliant", ["public"], ["VN", "DE"], ["Bundi", "Kota"], ["sandstone", "limestone"], [],
     19, (5, 10), (3, 10)),
    ("C17", "BE", "compliant", ["risk", "independent", "prioritised"], ["IN", "CN", "IT"], ["Prakasam", "Carrara"],
     ["granite", "marble"], ["forced_labour", "health_and_safety"], 25, (6, 10), (4, 10)),
    ("C18", "NL", "compliant", ["systematic", "risk"], ["IN", "VN", "UA"], ["Chittoor", "Yên Định"],
     ["granite", "basalt"], ["site_closure", "health_and_safety"], 13, (7, 10), (4, 10)),
    ("C19", "BE", "compliant", ["regional", "risk"], ["IN", "CN", "PT"], ["Rangareddy", "Khammam"], ["granite", "slate"],
     ["child_labour", "living_wage"], 29, (6, 10), (3, 10)),
    # -- compliant, 60 % and more (2) ----------------------------------------------------------------
    ("C20", "NL", "compliant", ["risk", "independent", "prioritised", "supplier", "systematic", "effectiveness"],
     ["IN", "CN", "VN", "TR"], ["Bundi", "Prakasam", "Xiamen"], ["sandstone", "granite"],
     ["health_and_safety", "forced_labour", "living_wage"], 64, (8, 10), (7, 10)),
    ("C21", "BE", "compliant", ["risk", "independent", "prioritised", "regional", "public"],
     ["IN", "CN", "VN", "IT"], ["Chittoor", "Rangareddy", "Yên Định"], ["granite", "limestone", "marble"],
     ["site_closure", "environment", "freedom_of_association", "living_wage"], 38, (7, 10), (6, 10)),
    # -- needs more time (5) -------------------------------------------------------------------------
    ("N1", "NL", "needs_more_time", [], ["IN", "CN", "SE"], ["Bundi", "Kota"], ["granite", "slate"], [], 3, (4, 10), (2, 10)),
    ("N2", "BE", "needs_more_time", [], ["IN", "VN", "GR"], ["Prakasam", "Ninh Bình"], ["granite"], [], 4, (3, 10), (2, 10)),
    ("N3", "NL", "needs_more_time", [], ["CN", "VN", "PT", "FI"], ["Laizhou"], ["granite", "limestone"], [], None,
     (4, 10), (2, 10)),
    ("N4", "BE", "needs_more_time", [], ["IN", "TR", "IR"], ["Khammam", "Afyon"], ["marble", "sandstone"], [], None,
     (3, 10), (1, 10)),
    ("N5", "BE", "needs_more_time", [], ["PT", "ID", "IT"], ["Karimnagar"], ["granite", "basalt"], [], 9, (4, 10), (2, 10)),
]


def risks(themes, extras, countries):
    independent = "independent" in extras
    made = []
    for index, theme in enumerate(themes):
        country = {"freedom_of_association": "CN" if "CN" in countries else countries[0],
                   "site_closure": "CN" if "CN" in countries else countries[0]}.get(theme, countries[0])
        made.append({"theme": theme, "country": country, "severity": "high" if index == 0 else "medium",
                     "likelihood": "medium", "actual": index == 0,
                     "source": "independent_audit" if independent and index == 0 else
                               ("site_visit" if index % 2 == 0 else "public_report")})
    return made


def report_of(spec) -> dict:
    (key, _, outcome, extras, countries, regions, materials, themes, chains, factories, quarries) = spec
    compliant = outcome == "compliant"
    mitigation = [{"kind": kind, "country": countries[0], "description": text} for kind, text in (
        ("supplier_improvement", "Dust extraction and protective equipment agreed with a fixed high-volume supplier."),
        ("regional_project", "Regional project with an NGO on safe working conditions in the quarry region."),
        ("certification_programme", "Improvement programme of a certification scheme at the supplying quarries."),
    ) if kind.split("_")[0] in extras]
    return {
        "covenant_year": 1,
        "chains": chains,
        "supply_chain": {
            "direct_suppliers": {"known": 6, "total": 6} if compliant else {"known": 3, "total": 6},
            "factories": {"known": factories[0], "total": factories[1]},
            "quarry_regions": {"known": len(regions), "total": len(regions) if compliant else len(regions) * 3},
            "quarries": {"known": quarries[0], "total": quarries[1]},
        },
        "production_countries": countries,
        "quarry_regions": [{"country": REGIONS[name][0], "region": name, "state": REGIONS[name][1]} for name in regions],
        "materials": materials,
        "risks": risks(themes, extras, countries) if "risk" in extras else [],
        "risk_prioritisation": "severity_and_likelihood" if "prioritised" in extras else
                               ("volume" if themes else "none"),
        "policy": {"statement_adopted": True, "embedded_in_management": compliant, "shared_with_suppliers": compliant},
        "mitigation": mitigation,
        "plan_of_approach": compliant and key != "EEA",
        "monitoring": {"systematic": "systematic" in extras, "effectiveness_evaluated": "effectiveness" in extras},
        "communication": {"public_report_url": f"https://{key.lower()}.example/due-diligence-2020" if "public" in extras
                          else None},
        "remediation": {"grievance_mechanism": False},
        "evidence": [{"kind": "audit_report", "title": "Social audit of the main supplier", "issued_on": "2020-06-30"}]
        if "independent" in extras else [],
    }


def build() -> dict:
    companies, reports = [], []
    nl_importers, be_importers = iter(NL_NAMES), iter(BE_NAMES)
    nl_joined = ["2019-10-01"] * 10 + ["2020-01-15", "2020-03-01", "2020-05-20"]  # 13 obliged Dutch importers
    be_joined = ["2019-10-01"] * 13
    counters = {"NL": 0, "BE": 0}
    for spec in COMPANIES:
        country = spec[1]
        joined = (nl_joined if country == "NL" else be_joined)[counters[country]]
        counters[country] += 1
        name = next(nl_importers if country == "NL" else be_importers)
        ref = f"{country.lower()}-importer-{counters[country]:02d}"
        companies.append(_member(ref, name, country, "importer", True, joined))
        reports.append({"company": ref, "expected_outcome": spec[2], "report": report_of(spec)})
    # importers that joined after 30 June 2020: members at the year's end, not obliged to report for it
    for country, names, days in (("NL", nl_importers, ["2020-08-17", "2020-09-14"]),
                                 ("BE", be_importers, ["2020-07-06"])):
        for day in days:
            counters[country] += 1
            companies.append(_member(f"{country.lower()}-importer-{counters[country]:02d}", next(names), country,
                                     "importer", True, day))
    for country, names, days in (("NL", NL_PROCESSORS, ["2019-10-01", "2019-12-02", "2020-02-10", "2020-04-06",
                                                          "2020-09-01"]),
                                 ("BE", BE_PROCESSORS, ["2020-03-16", "2020-08-24"])):
        for index, (name, day) in enumerate(zip(names, days), 1):
            companies.append(_member(f"{country.lower()}-processor-{index:02d}", name, country, "processor", False, day))
    authorities = ([{"name": name, "country": "BE", "joined_on": "2019-10-01"} for name in AUTHORITIES_BE] +
                   [{"name": name, "country": "NL", "joined_on": "2019-10-01"} for name in AUTHORITIES_NL_START] +
                   [{"name": name, "country": "NL", "joined_on": day} for name, day in zip(
                       AUTHORITIES_NL_JOINED, ["2019-11-12", "2020-01-20", "2020-02-03", "2020-04-14", "2020-06-08",
                                               "2020-09-01"])])
    return {"covenant_year": 1, "clock": CLOCK, "companies": companies, "authorities": authorities,
            "reports": reports}


def _member(ref, name, country, role, imports_directly, joined_on):
    suffix = "B.V." if country == "NL" else ("NV" if not name.endswith("NV") else "")
    full = f"{name} {suffix}".strip() if not name.endswith(("NV", "Trading")) else name
    return {"ref": ref, "name": full, "country": country, "role": role, "imports_directly": imports_directly,
            "joined_on": joined_on, "language": "nl" if country in ("NL", "BE") else "en",
            "email": f"dd@{ref}.example"}


if __name__ == "__main__":
    data = build()
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {OUT} ({len(data['companies'])} companies, {len(data['authorities'])} authorities, "
          f"{len(data['reports'])} reports)")
