"""The published figures as CSV and as an HTML annual report with charts drawn server-side as SVG.

Only what `domain.figures` publishes is rendered: a suppressed value reaches no format as a number.
"""
from __future__ import annotations

import csv
import hashlib
from datetime import date, datetime
import math
import io
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jinja2
import pygal
from pygal.etree import etree as pygal_etree
from pygal.style import Style

from common import covenant, i18n, vocabulary
from common.i18n import N_
from common import places
from common.places import country_name, state_label as state_name
from services.reporting.domain import SUPPRESSED, figure_rows

# pygal draws with lxml when it is installed (pikepdf brings it); the charts here are the standard library's
# ElementTree trees this module cleans and writes, whatever else is installed.
pygal_etree.to_etree()
SVG = "http://www.w3.org/2000/svg"
ElementTree.register_namespace("", SVG)
ElementTree.register_namespace("xlink", "http://www.w3.org/1999/xlink")
# Everything the page needs is in the page: no script runs, nothing is fetched.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

# The report's own words: English, the source text; Dutch in translations/nl/LC_MESSAGES/messages.po.
LABELS = {
    "title": N_("Sector report, covenant year {year}"),
    "period": N_("{start} to {end}"),
    "intro": N_("Figures over each company's latest assessed report. Averages, and counts per production country, "
                "material, risk or member country, resting on fewer than {min} companies (none included) are "
                "suppressed; a production country is named from {min} companies. The results of the sector as a "
                "whole are shown as counts, as in the covenant's annual report, once they rest on at least {min} "
                "companies. A quarry region is named from {regions} companies."),
    "edition": N_("Edition {number}, released on {date}"),
    "by_schedule": N_("as scheduled"),
    "by_secretariat": N_("by the secretariat"),
    "edition_note": N_("This edition counts the reports as they were assessed when it was released. What arrives "
                       "later is in the next edition, which is released only once the contributions of at least "
                       "{min} companies have changed: so the difference between two editions never rests on one "
                       "company alone."),
    "editions": N_("Other editions"),
    "edition_short": N_("edition {number} ({date})"),
    "other_countries": N_("And {count} more production countries, each with fewer than {min} companies (not "
                          "named)."),
    "other_countries_short": N_("Other production countries (not named)"),
    "no_data": N_("Nothing to show: no companies, or too few to publish"),
    "suppressed": N_("suppressed"),
    "assessed": N_("Assessed reports"),
    "outcomes": N_("Outcome"),
    "requirements": N_("Requirements"),
    "requirement": N_("Requirement"),
    "met": N_("met"),
    "applicable": N_("applicable"),
    "bands": N_("Scores"),
    "band": N_("Score"),
    "all": N_("all assessed"),
    "among_compliant": N_("of which compliant"),
    "by_member_country": N_("Outcome by member country"),
    "member_country": N_("Country"),
    "chain": N_("The chain"),
    "mean_quarries": N_("Mean share of quarries known"),
    "mean_factories": N_("Mean share of factories known"),
    "chains": N_("Supply chains per company"),
    "unknown": N_("unknown"),
    "countries": N_("Production countries"),
    "country": N_("Country"),
    "companies": N_("Companies"),
    "regions": N_("Quarry regions sourced by more than {more} companies"),
    "region": N_("Region"),
    "state": N_("State"),
    "materials": N_("Materials"),
    "material": N_("Material"),
    "risks": N_("Risks"),
    "any_risk": N_("Companies that reported a risk"),
    "theme": N_("Theme"),
    "steps": N_("Progress per step"),
    "step": N_("Step"),
    "cases": N_("Complaints and disputes"),
    "case_kind": N_("Kind of case"),
    "case_state": N_("Where they stand"),
    "case_count": N_("Cases"),
    "appeals_upheld": N_("Appeals against an assessment upheld"),
    "verification": N_("Verification"),
    "verified": N_("Reports verified (sample)"),
    "corrected": N_("of which corrected"),
    "mitigation_any": N_("Contributed to reducing risks (step 3)"),
    "systematic_monitoring": N_("Monitor and evaluate systematically (step 4)"),
    "public_communication": N_("Communicate publicly (step 5)"),
    "participation": N_("Participation"),
    "role": N_("Role"),
    "start": N_("start"),
    "end": N_("end"),
    "target": N_("target"),
    "realised": N_("realised"),
    "authorities": N_("Contracting authorities"),
    "share": N_("Share of imports (estimate)"),
    "none": N_("none"),
    "members_chart": N_("Members at the end of the year against the target"),
}

_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                                autoescape=True, undefined=jinja2.StrictUndefined)
WORDS = i18n.Catalog(Path(__file__).resolve().parent, fallback=i18n.COMMON)
# Drawn 480 wide with large type: a phone shows a chart at about three quarters of that, so its labels read
# at 12 px and more there (drawn 720 wide with pygal's 10 px labels, they shrank to 5 px).
CHART_WIDTH = 480
CHART_STYLE = Style(background="white", plot_background="white", font_family="sans-serif",
                    colors=("#1f5f8b", "#9bb7d4", "#c0504d", "#4f8a3c"), label_font_size=16,
                    major_label_font_size=16, value_font_size=16, value_label_font_size=16, legend_font_size=16,
                    title_font_size=18, no_data_font_size=24)


def _chart(kind, title: str, labels: list[str], series: dict[str, list], no_data: str) -> str:
    chart = kind(js=[], style=CHART_STYLE, width=CHART_WIDTH, height=max(300, 40 * len(labels) + 140),
                 show_legend=len(series) > 1, legend_at_bottom=True, print_values=True, title=title,
                 disable_xml_declaration=True, no_data_text=no_data)
    chart.x_labels = labels
    # counts of companies: whole numbers on the axis (never 0.2, 0.4, ...), the highest bar under its top label
    top = max((value for values in series.values() for value in values if isinstance(value, int)), default=0)
    step = max(1, math.ceil(top / 8))
    chart.y_labels = list(range(0, max(top, 1) + step, step))
    for name, values in series.items():
        chart.add(name, values)
    root = chart.render_tree()
    for parent in list(root.iter()):  # pygal's inline config script and its comments: not wanted here
        for child in [each for each in parent
                      if each.tag in ("script", f"{{{SVG}}}script") or each.tag is ElementTree.Comment]:
            parent.remove(child)
    # pygal names each chart with a random id; one from its title instead, so that one edition's page reads
    # the same every time (and two readings differ only where the figures do)
    drawn = ElementTree.tostring(root, encoding="unicode")
    return drawn.replace(root.get("id"), f"chart-{hashlib.sha256(title.encode()).hexdigest()[:12]}")


def labels_of(language: str) -> dict:
    """The page's own words, and the covenant's from the vocabulary."""
    def capitalised(terms):
        return {code: label[:1].upper() + label[1:] for code, label in terms.labels(language).items()}
    return {**WORDS.words(language).labels(LABELS), **vocabulary.MEMBER_COUNTRIES.labels(language),
            **vocabulary.MEMBER_ROLES.labels(language), **vocabulary.OUTCOMES.labels(language),
            **capitalised(vocabulary.REQUIREMENTS),
            "policy_and_chain_mapping_complete": vocabulary.PROGRESS.label("policy_and_chain_mapping", language),
            "themes": vocabulary.RISK_THEMES.labels(language), "kinds": vocabulary.MITIGATION_KINDS.labels(language),
            "materials_names": vocabulary.MATERIALS.labels(language), "band_names": vocabulary.BANDS.labels(language),
            "case_kinds": capitalised(vocabulary.CASE_KINDS), "case_states": capitalised(vocabulary.CASE_STATES)}


def _plotted(value):
    """A chart leaves a suppressed value out."""
    return None if value == SUPPRESSED else value


def charts(figures: dict, labels: dict, language: str) -> dict[str, str]:
    bands = vocabulary.BANDS.codes
    shown_countries = [each for each in figures["production_countries"] if each["companies"] != SUPPRESSED]
    themes = [(theme, value) for theme, value in figures["risks"]["themes"].items()
              if value not in (SUPPRESSED, 0)]
    members = figures["participation"]["members"]
    groups = [(country, role) for country in members for role in members[country]]
    return {
        "bands": _chart(pygal.Bar, labels["bands"], [labels["band_names"][band] for band in bands], {
            labels["all"]: [_plotted(figures["bands"]["all"][band]) for band in bands],
            labels["among_compliant"]: [_plotted(figures["bands"]["compliant"][band]) for band in bands]},
            labels["no_data"]),
        "countries": _chart(pygal.HorizontalBar, labels["countries"],
                            [country_name(each["country"], language) for each in shown_countries][::-1],
                            {labels["companies"]: [each["companies"] for each in shown_countries][::-1]},
                            labels["no_data"]),
        "risks": _chart(pygal.HorizontalBar, labels["risks"], [labels["themes"][theme] for theme, _ in themes],
                        {labels["companies"]: [value for _, value in themes]}, labels["no_data"]),
        "participation": _chart(pygal.Bar, labels["members_chart"],
                                [f"{labels[country]}: {labels[role]}" for country, role in groups], {
                                    labels["realised"]: [members[c][r]["end"] for c, r in groups],
                                    labels["target"]: [members[c][r]["target_end"] for c, r in groups]},
                                labels["no_data"]),
    }


def html(figures: dict, language: str, editions: list[dict]) -> str:
    """The report of a released edition (`figures` with its `edition`), naming the year's other editions."""
    labels = labels_of(language)
    year = figures["covenant_year"]
    edition, minimum = figures["edition"], figures["disclosure"]["min_companies"]

    def day(edition):
        return i18n.day(_day(edition["released_at"]), language)
    return _templates.get_template("report.html.j2").render(
        edition_line=labels["edition"].format(number=edition["number"], date=day(edition)) + " (" + labels[
            "by_schedule" if edition["released_by"] == "schedule" else "by_secretariat"] + ")",
        edition_note=labels["edition_note"].format(min=minimum),
        earlier=[{"number": each["number"], "label": labels["edition_short"].format(number=each["number"],
                                                                                    date=day(each))}
                 for each in editions if each["number"] != edition["number"]],
        other_countries=labels["other_countries"].format(count=figures["other_production_countries"], min=minimum),
        f=figures, t=labels, lang=language, SUPPRESSED=SUPPRESSED, charts=charts(figures, labels, language),
        country_name=lambda code: country_name(code, language),
        state_name=lambda state: state_name(state, language),
        number=lambda value: vocabulary.number(value, language) if isinstance(value, (int, float)) else value,
        title=labels["title"].format(year=year),
        period=labels["period"].format(start=i18n.day(covenant.year_start(year), language),
                                       end=i18n.day(covenant.year_end(year), language)),
        intro=labels["intro"].format(min=figures["disclosure"]["min_companies"],
                                     regions=figures["disclosure"]["min_region_companies"]),
        regions_title=labels["regions"].format(more=figures["disclosure"]["min_region_companies"] - 1))


FIGURE_PARTS = {  # a figure's path part that the page's labels name otherwise
    "assessed_reports": "assessed", "outcomes_by_member_country": "by_member_country",
    "supply_chain": "chain", "mean_quarries_known_percent": "mean_quarries",
    "mean_factories_known_percent": "mean_factories", "chains_per_company": "chains",
    "companies_with_any_risk": "any_risk", "by_kind": "case_kind", "by_state": "case_state",
    "contracting_authorities": "authorities", "share_of_imports_estimate": "share", "any": "mitigation_any",
    "other_production_countries": "other_countries_short",
}
SILENT_PARTS = {"themes", "mitigation", "members"}  # said by the parts around them


def figure_words(figure: str, item: str, language: str) -> str:
    """One figure of the CSV's rows (`figure`, `item`) in words, e.g. "Scores · waarvan voldoet · 20-40 %"."""
    labels = labels_of(language)
    words = {**{code: label for terms in ("themes", "kinds", "materials_names", "band_names", "case_kinds",
                                          "case_states") for code, label in labels[terms].items()},
             **{key: value for key, value in labels.items() if isinstance(value, str)},
             "target_start": f"{labels['target']} {labels['start']}",
             "target_end": f"{labels['target']} {labels['end']}"}
    if figure.startswith("bands"):
        words["compliant"] = labels["among_compliant"]
    if figure == "production_countries":
        return f"{labels['countries']} · {country_name(item.split(' ')[0], language)}"
    if figure == "quarry_regions":
        return f"{labels['region']} · {item}"
    parts = [part for part in (*figure.split("."), item) if part and part not in SILENT_PARTS]
    return " · ".join(words.get(FIGURE_PARTS.get(part, part), part) for part in parts)


def _day(moment) -> date:
    return (moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))).date()


# The CSV for people: its columns in the reader's words (`to_csv` with a language).
CSV_HEADERS = (N_("Covenant year"), N_("Figure"), N_("Value"))
# Where the decimal sign is a comma, spreadsheets part a CSV's fields by semicolons (Excel set to Dutch).
CSV_DELIMITERS = {"nl": ";"}


def to_csv(figures: dict, language: str | None = None) -> str:
    """The figures as CSV. Without a language, for programs: the figures' codes (covenant_year, figure,
    item, value). With one, for people: each figure in words, a number as the language writes it, and in
    Dutch parted by semicolons, as a Dutch spreadsheet reads it ("47,8", never "47.8")."""
    buffer = io.StringIO()
    if language is None:
        writer = csv.writer(buffer)
        writer.writerow(["covenant_year", "figure", "item", "value"])
        for figure, item, value in figure_rows(figures):
            writer.writerow([figures["covenant_year"], figure, item, value])
        return buffer.getvalue()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITERS.get(language, ","))
    writer.writerow([_said(language, header) for header in CSV_HEADERS])
    suppressed = _said(language, LABELS["suppressed"])
    for figure, item, value in figure_rows(figures):
        writer.writerow([figures["covenant_year"], figure_words(figure, item, language),
                         _csv_value(value, language, suppressed)])
    return buffer.getvalue()


def _csv_value(value, language: str, suppressed: str) -> str:
    if value == SUPPRESSED:
        return suppressed
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return str(value) if isinstance(value, int) else vocabulary.number(value, language)


# --- the proof's counters in words ------------------------------------------------------------------------

# The proof names each counter by its key's parts (domain.key: "region IN IN-RJ bundi", "case_kind
# complaint"); each kind of key in the reader's words, its codes named by the vocabulary, so that no reader
# (the portal) need know the keys' grammar.
_CHAIN_BUCKETS = {"<5": N_("fewer than 5"), "5-10": N_("5 to 10"), "11-50": N_("11 to 50"),
                  ">50": N_("more than 50"), "unknown": N_("unknown")}
_STEP_CRITERIA = {"systematic_monitoring": "systematic_monitoring", "public_communication": "public_report"}
_BANDS_OF = {"all": N_("Score {band}, all reports"),
             "compliant": N_("Score {band}, reports that meet the requirements")}
_REQUIREMENT = {"applicable": N_("Requirement {requirement}: applies"), "met": N_("Requirement {requirement}: met")}
_VERIFICATION = {"verified": N_("Reports verified"), "corrected": N_("Verified reports corrected")}


def _said(language: str, text: str, **values) -> str:
    return WORDS.said(text, language, **values)


def _step_words(step: str, language: str) -> str:
    if step in vocabulary.PROGRESS:
        return vocabulary.PROGRESS.label(step, language)
    return vocabulary.CRITERIA.label(_STEP_CRITERIA.get(step, step), language)


def _member_country(code: str, language: str) -> str:
    return vocabulary.MEMBER_COUNTRIES.label(code, language) if code in vocabulary.MEMBER_COUNTRIES \
        else places.country_name(code, language)


def _titled(name: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in name.split())


def _region_words(parts: list[str], language: str, day, regions) -> str:
    country, state, name = parts[0], parts[1], " ".join(parts[2:])
    if len(parts) > 3 and state and not places.CODE.match(state):
        # one text with spaces in it: where a state nobody knows ends and the name begins is lost
        state, name = "", " ".join(parts[1:])
    known = (regions or {}).get((country, state, name))
    shown = known or _titled(name)
    state_words = "" if not state else places.state_label(state, language) if places.CODE.match(state) \
        else _titled(state)  # a state nobody knows, as written
    where = ", ".join(filter(None, (state_words, places.country_name(country, language))))
    return _said(language, N_("Quarry region {region} ({where})"), region=shown, where=where)


def _key_day(value: str, day) -> str:
    try:
        return day(date.fromisoformat(value))
    except ValueError:
        return value


# Each prefix of a counter key (domain.py) and its words: a function of (parts after the
# prefix, language, day, regions).
COUNTER_WORDS = {
    "assessed": lambda parts, lang, day, regions: _said(lang, N_("Reports assessed")),
    "outcome": lambda parts, lang, day, regions: _said(
        lang, N_("Outcome: {outcome}"), outcome=vocabulary.OUTCOMES.label(parts[0], lang)),
    "member_country_outcome": lambda parts, lang, day, regions: _said(
        lang, N_("Members from {country} with outcome: {outcome}"), country=_member_country(parts[0], lang),
        outcome=vocabulary.OUTCOMES.label(parts[1], lang)),
    "band": lambda parts, lang, day, regions: _said(lang, _BANDS_OF[parts[0]],
                                                    band=vocabulary.BANDS.label(parts[1], lang)),
    "requirement": lambda parts, lang, day, regions: _said(
        lang, _REQUIREMENT[parts[1]], requirement=vocabulary.REQUIREMENTS.label(parts[0], lang)),
    "known_sum": lambda parts, lang, day, regions: _said(
        lang, N_("Known {links}: sum of the percentages (in thousandths)"),
        links=vocabulary.SUPPLY_CHAIN_LINKS.label(parts[0], lang)),
    "chains": lambda parts, lang, day, regions: _said(lang, N_("Number of supply chains: {chains}"),
                                                      chains=_said(lang, _CHAIN_BUCKETS[parts[0]])),
    "country": lambda parts, lang, day, regions: _said(lang, N_("Production country {country}"),
                                                       country=places.country_name(parts[0], lang)),
    "region": _region_words,
    "material": lambda parts, lang, day, regions: _said(lang, N_("Material: {material}"),
                                                        material=vocabulary.MATERIALS.label(parts[0], lang)),
    "risk": lambda parts, lang, day, regions: _said(lang, N_("Reports naming a risk")) if parts == ["any"]
    else _said(lang, N_("Risk: {theme}"), theme=vocabulary.RISK_THEMES.label(parts[0], lang)),
    "mitigation": lambda parts, lang, day, regions: _said(lang, N_("Reports naming a measure")) if parts == ["any"]
    else _said(lang, N_("Measure: {kind}"), kind=vocabulary.MITIGATION_KINDS.label(parts[0], lang)),
    "step": lambda parts, lang, day, regions: _said(lang, N_("Progress: {step}"), step=_step_words(parts[0], lang)),
    "case_kind": lambda parts, lang, day, regions: _said(lang, N_("Cases: {kind}"),
                                                         kind=vocabulary.CASE_KINDS.label(parts[0], lang)),
    "case_state": lambda parts, lang, day, regions: _said(lang, N_("Cases at the stage: {state}"),
                                                          state=vocabulary.CASE_STATES.label(parts[0], lang)),
    "appeals_upheld": lambda parts, lang, day, regions: _said(lang, N_("Appeals upheld (in full or in part)")),
    "verification": lambda parts, lang, day, regions: _said(lang, _VERIFICATION[parts[0]]),
    "member": lambda parts, lang, day, regions: _said(
        lang, N_("Members: {role} from {country}, joined on {day}"),
        role=vocabulary.MEMBER_ROLES.label(parts[1], lang), country=_member_country(parts[0], lang),
        day=_key_day(parts[2], day)),
    "authority": lambda parts, lang, day, regions: _said(
        lang, N_("Contracting authorities from {country}, joined on {day}"),
        country=_member_country(parts[0], lang), day=_key_day(parts[1], day)),
}


def region_names(known: list[dict]) -> dict[tuple[str, str, str], str]:
    """The known regions' names (the API's `/v1/regions`) by how a counter key names them: country, state
    code and the name's comparison form."""
    return {(each["country"], each.get("state") or "", places.comparison_form(each["name"])): each["name"]
            for each in known}


def counter_words(counter: str | list[str], language: str, *, day=date.isoformat, regions=None) -> str:
    """A counter of the proof, by its key's parts (["region", "IN", "IN-RJ", "bundi"]) or as one text
    ("region IN IN-RJ bundi"), in people's words in `language` ("Groevegebied Bundi (Rajasthan, India)");
    `day` writes a date, `regions` (from `region_names`) names known regions as the secretariat wrote them.
    A counter of a kind not known here is still shown readably, never refused."""
    prefix, *parts = counter.split(" ") if isinstance(counter, str) else counter
    try:
        return COUNTER_WORDS[prefix](parts, language, day, regions)
    except Exception:  # a new or malformed key: its words as they are, without underscores
        named = prefix.replace("_", " ").capitalize()
        return f"{named}: {' '.join(parts).replace('_', ' ')}" if parts else named
