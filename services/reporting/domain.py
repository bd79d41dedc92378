"""Sector figures from per-company contributions, with disclosure control (contract §4). Pure.

A contribution is a flat map of counter keys to integers for one company's latest assessed report. The
sector figures are the sums of the contributions; a new version replaces its company's contribution by
adding the difference, so nothing is recomputed over all reports and nothing counts twice. Means come
from maintained sums (in thousandths of a percent, so that sums stay exact) and counts.

Disclosure control: a mean, or a cell of a table of companies by sourcing attribute (production country,
material, risk theme) or by member country, that rests on fewer than `min_companies` companies is
suppressed; in a table whose totals are published, further cells are suppressed until no suppressed cell
can be worked back from them. A quarry region is listed only when at least `min_region_companies` source
there. Sector-wide distributions of results (outcomes, bands, requirements, chains, steps) are published
as counts, as the covenant's annual report does, and so is participation: the member list is public.

Quarry regions count where the gazetteer (`Gazetteer`, given by the caller) places them. Pure, but for
`common.places`, which reads its data (pycountry's subdivisions and translations, places.yaml) once per
process.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, unquote


from common import covenant, places, vocabulary
from common.events import Ordinal

SEP = ":"
SUPPRESSED = "suppressed"
MILLI = 1000  # sums of percentages are kept in thousandths of a percent
CHAIN_BUCKETS = ("<5", "5-10", "11-50", ">50")
PARTICIPATION = "participation"  # the figures of members and authorities, kept beside one set per year


@dataclass(frozen=True)
class Disclosure:
    """The publication thresholds; their values are settings (deploy/config.yaml), defined there once."""
    min_companies: int         # a mean or table cell on fewer companies is suppressed
    min_region_companies: int  # a quarry region is listed from this many companies ("more than 5")

    @classmethod
    def configured(cls, settings) -> "Disclosure":
        """From the platform's settings (common.settings.Settings)."""
        return cls(min_companies=settings.min_companies_per_cell,
                   min_region_companies=settings.min_companies_per_region)


def key(*parts) -> str:
    """A counter key, safe as a MongoDB field name (no '.', no leading '$')."""
    return SEP.join(quote(str(part), safe="").replace(".", "%2E") for part in parts)


def split(counter_key: str) -> list[str]:
    return [unquote(part) for part in counter_key.split(SEP)]


def state_name_id(country: str, state: str) -> str:
    """A state spelling's identity (spellings that compare alike are one); never a counter's key."""
    return f"state:{country}:{quote(places.comparison_form(state), safe='')}"


def chain_bucket(chains: int | None) -> str:
    if chains is None:
        return "unknown"
    if chains < 5:
        return "<5"
    if chains <= 10:
        return "5-10"
    if chains <= 50:
        return "11-50"
    return ">50"


# --- places ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Region:
    """A quarry region the secretariat knows: its canonical name, in a country and (where known) a
    subdivision, and the other spellings companies use for it."""
    country: str
    state: str | None      # ISO 3166-2 code
    name: str
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Place:
    """A quarry region as the figures count it: `key` is its identity (two spellings of one place have one
    key); `region` and `state` are what to show."""
    key: str
    country: str
    state: str | None      # an ISO 3166-2 code, or a state as written when nobody knows it yet
    region: str
    known: bool


@dataclass(frozen=True)
class StateName:
    """A spelling of a subdivision that pycountry and common/places.yaml do not know, which the secretariat
    placed: `name` in `country` is the subdivision `state` (an ISO 3166-2 code)."""
    country: str
    name: str
    state: str


@dataclass(frozen=True)
class UnknownState:
    """A state a company wrote that nobody knows yet, with the region it wrote it for (first seen)."""
    key: str
    country: str
    state: str
    region: str


class Gazetteer:
    """The known quarry regions and the state spellings the secretariat placed (`revision` counts its
    changes). Names compare by `places.comparison_form`; a region named without a state, or with one nobody
    knows, is the known region of that name in the country when there is exactly one."""

    def __init__(self, regions, revision: int = 0, state_names=()):
        self.regions = tuple(regions)
        self.revision = revision
        self.state_names = tuple(state_names)
        self._states = {(each.country, places.comparison_form(each.name)): each.state for each in self.state_names}
        self._by_name: dict[tuple, Region] = {}
        self._by_country: dict[tuple, list[Region]] = {}
        for region in self.regions:
            for name in (region.name, *region.variants):
                form = places.comparison_form(name)
                self._by_name.setdefault((region.country, region.state or "", form), region)
                self._by_country.setdefault((region.country, form), []).append(region)

    def find(self, country: str, state: str | None, name: str) -> Region | None:
        """The known region `name` is a spelling of, or None."""
        form = places.comparison_form(name)
        found = self._by_name.get((country, state or "", form))
        if found is None and state:  # a region the gazetteer knows without its state
            found = self._by_name.get((country, "", form))
        if found is None and (state is None or not places.CODE.match(state)):
            candidates = {id(each): each for each in self._by_country.get((country, form), [])}
            found = next(iter(candidates.values())) if len(candidates) == 1 else None
        return found

    def state_code(self, country: str, state: str | None) -> str | None:
        """The subdivision `state` names: by its code, a name pycountry or common/places.yaml knows, or a
        spelling the secretariat placed; None when nobody knows it (or no state was given)."""
        if not state:
            return None
        return places.state_code(country, state) or self._states.get((country, places.comparison_form(state)))

    def unknown_states(self, report: dict) -> list[UnknownState]:
        """The states in the report's quarry regions that nobody knows yet, each once."""
        found = {}
        for each in report["quarry_regions"]:
            if each["state"] and self.state_code(each["country"], each["state"]) is None:
                unknown = UnknownState(state_name_id(each["country"], each["state"]), each["country"],
                                       places.cleaned(each["state"]), places.cleaned(each["region"]))
                found.setdefault(unknown.key, unknown)
        return list(found.values())

    def place(self, country: str, state: str | None, name: str) -> Place:
        """Where the figures count a region a company named (`state`: a code, or as written, or None). A
        state the secretariat placed does not take a known region away from where it was counted while the
        state was unknown (the region's name, the country over), so that a placement moves nothing it should
        not, and a recount and a recomputation agree."""
        placed_here = bool(state) and places.state_code(country, state) is None
        state = (self.state_code(country, state) or state) if state else None
        region = self.find(country, state, name)
        if region is None and placed_here and state and places.CODE.match(state):
            region = self.find(country, None, name)
        if region is not None:
            return Place(key("region", country, region.state or "", places.comparison_form(region.name)),
                         country, region.state, region.name, True)
        state_part = state if state is None or places.CODE.match(state) else places.comparison_form(state)
        return Place(key("region", country, state_part or "", places.comparison_form(name)), country, state,
                     places.cleaned(name), False)

    def named(self, counter_key: str) -> Place | None:
        """The known region a figure's key stands for."""
        parts = split(counter_key)
        region = self._by_name.get((parts[1], parts[2], parts[3]))
        return None if region is None else Place(counter_key, region.country, region.state, region.name, True)

    def places_of(self, report: dict) -> list[Place]:
        """The report's quarry regions as the figures count them, each once."""
        found = {}
        for each in report["quarry_regions"]:
            place = self.place(each["country"], each["state"], each["region"])
            found.setdefault(place.key, place)
        return list(found.values())

    def recounted(self, counters: dict[str, int]) -> dict[str, int]:
        """A contribution's counters with each region counted where the gazetteer now places it."""
        out = {}
        for name, value in counters.items():
            parts = split(name)
            if parts[0] == "region":
                name = self.place(parts[1], parts[2] or None, parts[3]).key
            out[name] = max(out.get(name, 0), value)  # two spellings of one place count once
        return out


def placed(ordinal: Ordinal | list[int], recount: int = 0) -> list[int]:
    """A company contribution's ordinal, as stored (a list, compared in order): its assessment's (report
    version, framework version, corrections), then the gazetteer revision of the recount that last moved its
    regions (0: none). A recount so replaces the contribution of the same assessment, and a redelivered
    assessment does not replace the recount. `ordinal`: an assessment's, or a stored contribution's own."""
    if isinstance(ordinal, Ordinal):
        return [ordinal.report_version, ordinal.framework_version, ordinal.correction, recount]
    return [*list(ordinal)[:3], recount]


def contribution(report: dict, assessment: dict, company: dict, progress: dict[str, bool],
                 gazetteer: Gazetteer) -> dict[str, int]:
    """What one company's latest assessed report adds to its year's figures; `progress` is what scoring
    says of the company's steps (report_scored's own field), so no step code is read here; quarry regions
    count where the gazetteer places them."""
    outcome = assessment["outcome"]
    counters = {key("assessed"): 1, key("outcome", outcome): 1,
                key("member_country_outcome", company["country"], outcome): 1,
                key("band", "all", assessment["band"]): 1}
    if outcome == "compliant":
        counters[key("band", "compliant", assessment["band"])] = 1
    for requirement in assessment["requirements"]:
        if requirement["applicable"]:
            counters[key("requirement", requirement["code"], "applicable")] = 1
            if requirement["met"]:
                counters[key("requirement", requirement["code"], "met")] = 1
    for link in ("quarries", "factories"):
        counters[key("known_sum", link)] = round(covenant.known_percent(report["supply_chain"][link]) * MILLI)
    counters[key("chains", chain_bucket(report["chains"]))] = 1
    for country in report["production_countries"]:
        counters[key("country", country)] = 1
    for place in gazetteer.places_of(report):
        counters[place.key] = 1
    for material in report["materials"]:
        counters[key("material", material)] = 1
    if report["risks"]:
        counters[key("risk", "any")] = 1
    for theme in {risk["theme"] for risk in report["risks"]}:
        counters[key("risk", theme)] = 1
    if progress.get("policy_and_chain_mapping"):
        counters[key("step", "policy_and_chain_mapping")] = 1
    kinds = {each["kind"] for each in report["mitigation"]}
    if kinds:
        counters[key("mitigation", "any")] = 1
    for kind in kinds:
        counters[key("mitigation", kind)] = 1
    if report["monitoring"]["systematic"]:
        counters[key("step", "systematic_monitoring")] = 1
    if report["communication"]["public_report_url"]:
        counters[key("step", "public_communication")] = 1
    return {name: value for name, value in counters.items() if value}


def case_contribution(kind: str, state: str, appeal_upheld: bool) -> dict[str, int]:
    """What one complaints case adds to its year's figures: its kind and the state it stands in."""
    counters = {key("case_kind", kind): 1, key("case_state", state): 1}
    if appeal_upheld:
        counters[key("appeals_upheld")] = 1
    return counters


def case_contributor(number: str) -> str:
    return f"case:{number}"


def verification_contribution(result: str) -> dict[str, int]:
    """What one sampled company's latest verification (its result) adds to its year's figures."""
    counters = {key("verification", "verified"): 1}
    if result == "corrected":
        counters[key("verification", "corrected")] = 1
    return counters


def verification_contributor(company_id: str) -> str:
    """The contribution of a company's verification is kept beside its report's, under its own name."""
    return f"verification:{company_id}"


def member_contribution(company: dict) -> dict[str, int]:
    return {key("member", company["country"], company["role"], company["joined_on"]): 1}


def authority_contribution(authority: dict) -> dict[str, int]:
    return {key("authority", authority["country"], authority["joined_on"]): 1}


def difference(new: dict[str, int], old: dict[str, int]) -> dict[str, int]:
    """What to add to the sums so that `old` is replaced by `new` (zero changes left out)."""
    changes = {name: new.get(name, 0) - old.get(name, 0) for name in new.keys() | old.keys()}
    return {name: change for name, change in changes.items() if change}


def summed(contributions) -> dict[str, int]:
    """The sums of contributions (what the incremental state must equal)."""
    total: dict[str, int] = {}
    for each in contributions:
        for name, value in each.items():
            total[name] = total.get(name, 0) + value
    return {name: value for name, value in total.items() if value}


# --- disclosure control ----------------------------------------------------------------------------

def cell(count: int, disclosure: Disclosure):
    """A count of companies sharing an attribute: shown from `min_companies`. Below it the marker, zero
    included: a reader who saw "0" turn into "suppressed" between two editions would learn that one of the
    companies that changed has the attribute."""
    return count if count >= disclosure.min_companies else SUPPRESSED


def distribution(counts: dict, base: int, disclosure: Disclosure) -> dict:
    """A sector-wide distribution (outcomes, bands, chains, steps, ...) over `base` companies: published as
    counts, or, resting on fewer than `min_companies`, every value of it suppressed (with two companies,
    "1 compliant, 1 not" tells each of them its neighbour's outcome). Resting on none it is all zeros, which
    tells nothing of anyone."""
    if base >= disclosure.min_companies or base == 0:
        return counts
    return _suppressed(counts)


def _suppressed(counts: dict) -> dict:
    return {name: _suppressed(value) if isinstance(value, dict) else SUPPRESSED for name, value in counts.items()}


def mean(total_milli: int, companies: int, disclosure: Disclosure):
    if companies < disclosure.min_companies:
        return SUPPRESSED
    return round(total_milli / MILLI / companies, 1)


def protect_table(table: dict[str, dict[str, int]], disclosure: Disclosure) -> dict[str, dict]:
    """A table of counts whose row and column totals are published, with primary suppression (cells on
    fewer than `min_companies`) and complementary suppression: while a row or column holds exactly one
    suppressed cell, its total would give that cell away, so the smallest other cell of the line is
    suppressed too."""
    rows = list(table)
    columns = list(next(iter(table.values()))) if table else []
    hidden = {(row, column) for row in rows for column in columns
              if table[row][column] < disclosure.min_companies}  # zero too: see `cell`
    lines = [[(row, column) for column in columns] for row in rows] + \
            [[(row, column) for row in rows] for column in columns]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(each in hidden for each in line) != 1:
                continue
            others = sorted((each for each in line if each not in hidden),
                            key=lambda each: (table[each[0]][each[1]] == 0, table[each[0]][each[1]]))
            if others:
                hidden.add(others[0])
                changed = True
    return {row: {column: SUPPRESSED if (row, column) in hidden else table[row][column] for column in columns}
            for row in rows}


# --- the figures -----------------------------------------------------------------------------------

def _entries(counters: dict[str, int], prefix: str) -> dict[tuple, int]:
    entries = {}
    for name, value in counters.items():
        parts = split(name)
        if parts[0] == prefix and value:
            entries[tuple(parts[1:])] = value
    return entries


def listed_regions(counters: dict[str, int], disclosure: Disclosure) -> list[str]:
    """The keys of the quarry regions the figures name: those enough companies source in."""
    return [name for name, value in counters.items()
            if name.startswith(f"region{SEP}") and value >= disclosure.min_region_companies]


def shown_places(listed: list[str], gazetteer: Gazetteer, recorded: dict[str, Place]) -> dict[str, Place]:
    """The names of the listed regions: the gazetteer's, else as first written (`recorded`)."""
    return {name: place for name in listed if (place := gazetteer.named(name) or recorded.get(name))}


def region_entry(place: Place, companies: int) -> dict:
    return {"country": place.country, "state": place.state, "state_name": places.state_label(place.state),
            "region": place.region, "companies": companies}


def figures(covenant_year: int, counters: dict[str, int], participation: dict[str, int], targets: dict | None,
            disclosure: Disclosure, shown_places: dict[str, Place] | None = None) -> dict:
    """The published figures of a year from its summed counters; suppressed values never appear.
    `shown_places` names the listed quarry regions (`listed_regions`) by their keys."""
    shown_places = shown_places or {}
    def count(*parts):
        return counters.get(key(*parts), 0)

    def over(base, counts):
        return distribution(counts, base, disclosure)

    assessed = count("assessed")
    by_member_country = {country: {outcome: count("member_country_outcome", country, outcome)
                                   for outcome in vocabulary.OUTCOMES.codes} for country in vocabulary.MEMBER_COUNTRIES.codes}
    countries = _entries(counters, "country")
    listed_countries = {code: value for (code,), value in countries.items() if value >= disclosure.min_companies}
    regions = sorted(((shown_places.get(name) or _unnamed(name), counters[name])
                      for name in listed_regions(counters, disclosure)),
                     key=lambda item: (-item[1], item[0].country, item[0].region))
    return {
        "covenant_year": covenant_year,
        "disclosure": {"min_companies": disclosure.min_companies,
                       "min_region_companies": disclosure.min_region_companies, "suppressed_marker": SUPPRESSED},
        "assessed_reports": assessed,
        "outcomes": over(assessed, {outcome: count("outcome", outcome) for outcome in vocabulary.OUTCOMES.codes}),
        "outcomes_by_member_country": protect_table(by_member_country, disclosure),
        "bands": {
            "all": over(assessed, {band: count("band", "all", band) for band in vocabulary.BANDS.codes}),
            "compliant": over(count("outcome", "compliant"),
                              {band: count("band", "compliant", band) for band in vocabulary.BANDS.codes}),
        },
        "requirements": {code: over(count("requirement", code, "applicable"),
                                    {"met": count("requirement", code, "met"),
                                     "applicable": count("requirement", code, "applicable")})
                         for code in vocabulary.REQUIREMENTS.codes},
        "supply_chain": {
            "mean_quarries_known_percent": mean(count("known_sum", "quarries"), assessed, disclosure),
            "mean_factories_known_percent": mean(count("known_sum", "factories"), assessed, disclosure),
        },
        "chains_per_company": over(assessed, {bucket: count("chains", bucket) for bucket in (*CHAIN_BUCKETS, "unknown")}),
        # A country is named from `min_companies` companies; the others are counted, never named (so a country
        # with one or two companies cannot be told from one with none).
        "production_countries": [
            {"country": code, "name": places.country_name(code), "companies": value}
            for code, value in sorted(listed_countries.items(), key=lambda item: (-item[1], item[0]))],
        "other_production_countries": len(countries) - len(listed_countries),
        "quarry_regions": [region_entry(place, value) for place, value in regions],
        "materials": {material: cell(count("material", material), disclosure) for material in vocabulary.MATERIALS.codes},
        "risks": {
            "companies_with_any_risk": over(assessed, {"any": count("risk", "any")})["any"],
            "themes": {theme: cell(count("risk", theme), disclosure) for theme in vocabulary.RISK_THEMES.codes},
        },
        "steps": over(assessed, {
            "policy_and_chain_mapping_complete": count("step", "policy_and_chain_mapping"),
            "mitigation": {"any": count("mitigation", "any"),
                           **{kind: count("mitigation", kind) for kind in vocabulary.MITIGATION_KINDS.codes}},
            "systematic_monitoring": count("step", "systematic_monitoring"),
            "public_communication": count("step", "public_communication"),
        }),
        # Cases are counted as they are: a count of cases names no company and rests on no company's data
        # (a suppressed kind could be worked back from the states' total in any case).
        "cases": {"by_kind": {kind: count("case_kind", kind) for kind in vocabulary.CASE_KINDS.codes},
                  "by_state": {state: count("case_state", state) for state in vocabulary.CASE_STATES.codes},
                  "appeals_upheld": count("appeals_upheld")},
        "verification": over(count("verification", "verified"),
                             {"verified": count("verification", "verified"),
                              "corrected": count("verification", "corrected")}),
        "participation": participation_figures(covenant_year, participation, targets),
    }


def _unnamed(counter_key: str) -> Place:
    """A region shown by its key alone (its name as first written was not found)."""
    _, country, state, region = split(counter_key)
    return Place(counter_key, country, state or None, region, False)


def participation_figures(covenant_year: int, participation: dict[str, int], targets: dict | None) -> dict:
    """Members per country and role, and contracting authorities, at the start and end of the year,
    against the year's targets (None where the year has none)."""
    start, end = covenant.year_start(covenant_year), covenant.year_end(covenant_year)

    def joined(prefix, *match):
        counts = {"start": 0, "end": 0}
        for parts, value in _entries(participation, prefix).items():
            if parts[:-1] == match:
                joined_on = date.fromisoformat(parts[-1])
                counts["start"] += value if joined_on <= start else 0
                counts["end"] += value if joined_on <= end else 0
        return counts

    targets = targets or {}
    members = {}
    for country in vocabulary.MEMBER_COUNTRIES.codes:
        members[country] = {}
        for role in vocabulary.MEMBER_ROLES.codes:
            target = targets.get("members", {}).get(country, {}).get(role) or [None, None]
            members[country][role] = {**joined("member", country, role),
                                      "target_start": target[0], "target_end": target[1]}
    authorities = {"start": 0, "end": 0}
    for country in vocabulary.MEMBER_COUNTRIES.codes:
        for moment, value in joined("authority", country).items():
            authorities[moment] += value
    shares = {country: {f"{kind}_{moment}": values[kind][index] for kind in ("target", "realised")
                        for index, moment in enumerate(("start", "end"))}
              for country, values in (targets.get("share_of_imports") or {}).items()}
    return {
        "members": members,
        "share_of_imports_estimate": shares or None,
        "contracting_authorities": {**authorities, "target": targets.get("contracting_authorities")},
    }


def differences(expected: dict[str, int], actual: dict[str, int]) -> list[dict]:
    """Counters where the incremental state differs from a recomputation."""
    return [{"counter": " ".join(split(name)), "parts": split(name), "recomputed": expected.get(name, 0),
             "incremental": actual.get(name, 0)}
            for name in sorted(expected.keys() | actual.keys()) if expected.get(name, 0) != actual.get(name, 0)]


# --- editions --------------------------------------------------------------------------------------

def company_of(contributor: str) -> str | None:
    """The company a contribution is of (its report's, or its verification's); None for a case."""
    if contributor.startswith("case:"):
        return None
    return contributor.removeprefix("verification:")


def companies_changed(contributors) -> set[str]:
    """The companies among contributors whose contributions differ from the latest edition."""
    return {company for company in map(company_of, contributors) if company is not None}


def companies_needed(changed: int, disclosure: Disclosure) -> int:
    """How many more companies' contributions must change before an edition may be released: at least
    `min_companies` (the disclosure threshold), so that no two editions can be differenced down to fewer."""
    return max(0, disclosure.min_companies - changed)


def next_edition_due(dates: list[date], latest_released_on: date | None) -> date | None:
    """The earliest scheduled date no edition has answered yet (it may have passed: then that edition waits
    for enough changes), or None when none is left."""
    waiting = [each for each in sorted(dates) if latest_released_on is None or latest_released_on < each]
    return waiting[0] if waiting else None


def figure_rows(figures: dict) -> list[tuple[str, str, object]]:
    """The figures as (figure, item, value) rows (the CSV's, and what an edition's changes are listed by);
    a suppressed value is the word `suppressed`."""
    out: list[tuple[str, str, object]] = [("assessed_reports", "", figures["assessed_reports"])]

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                walk(f"{prefix}.{name}" if prefix else name, inner)
        else:
            figure, _, item = prefix.rpartition(".")
            out.append((figure, item, "" if value is None else value))

    for section in ("outcomes", "outcomes_by_member_country", "bands", "requirements", "supply_chain",
                    "chains_per_company", "materials", "risks", "steps", "verification", "cases", "participation"):
        walk(section, figures[section])
    for each in figures["production_countries"]:
        out.append(("production_countries", f"{each['country']} {each['name']}", each["companies"]))
    out.append(("other_production_countries", "", figures.get("other_production_countries", 0)))
    for each in figures["quarry_regions"]:
        place = " / ".join(part for part in (each["country"], each["state_name"], each["region"]) if part)
        out.append(("quarry_regions", place, each["companies"]))
    return out


def changes(released: dict | None, live: dict) -> list[dict]:
    """What an edition released now would change: each figure whose published value differs from the
    latest edition's (`released`, None before the first), in the order the figures are listed."""
    before = {(figure, item): value for figure, item, value in figure_rows(released)} if released else {}
    after = {(figure, item): value for figure, item, value in figure_rows(live)}
    order = list(dict.fromkeys([*after, *before]))
    return [{"figure": figure, "item": item, "released": before.get((figure, item)),
             "live": after.get((figure, item))}
            for figure, item in order if before.get((figure, item)) != after.get((figure, item))]

