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

from common import covenant, vocabulary
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

LABELS = {
    "nl": {
        "title": "Sectorrapportage convenantjaar {year}", "period": "{start} tot en met {end}",
        "intro": "Cijfers over de laatste beoordeelde rapportage van elke onderneming. Gemiddelden, en aantallen "
                 "per productieland, materiaal, risico of land van de leden, over minder dan {min} ondernemingen "
                 "(ook nul) zijn afgeschermd; een productieland wordt genoemd vanaf {min} ondernemingen. De "
                 "uitkomsten van de sector als geheel staan er als aantallen, zoals in het jaarverslag van het "
                 "convenant, zodra ze op ten minste {min} ondernemingen rusten. Een groevegebied wordt genoemd "
                 "vanaf {regions} ondernemingen.",
        "edition": "Editie {number}, gepubliceerd op {date}", "by_schedule": "volgens het schema",
        "by_secretariat": "door het secretariaat",
        "edition_note": "Deze editie telt de rapportages zoals ze bij het publiceren beoordeeld waren. Wat daarna "
                        "binnenkomt, staat in de volgende editie, die pas verschijnt als de bijdragen van ten minste "
                        "{min} ondernemingen veranderd zijn: zo verraden geen twee edities samen iets over één "
                        "onderneming.",
        "editions": "Andere edities", "edition_short": "editie {number} ({date})",
        "other_countries": "En nog {count} productielanden, elk met minder dan {min} ondernemingen (niet genoemd).",
        "other_countries_short": "Andere productielanden (niet genoemd)",
        "no_data": "Niets te tonen: geen ondernemingen, of te weinig om te publiceren",
        "suppressed": "afgeschermd", "assessed": "Beoordeelde rapportages", "outcomes": "Uitkomst",
        "requirements": "Eisen",
        "requirement": "Eis", "met": "voldaan", "applicable": "van toepassing",
        "bands": "Scores", "band": "Score", "all": "alle beoordeelde", "among_compliant": "waarvan voldoet",
        "by_member_country": "Uitkomst per land van vestiging", "member_country": "Land",
        "chain": "De keten", "mean_quarries": "Gemiddeld bekend deel van de groeves",
        "mean_factories": "Gemiddeld bekend deel van de fabrieken", "chains": "Aantal ketens per onderneming",
        "unknown": "onbekend", "countries": "Productielanden", "country": "Land", "companies": "Ondernemingen",
        "regions": "Groevegebieden waar meer dan {more} ondernemingen inkopen", "region": "Gebied",
        "state": "Staat", "materials": "Materialen", "material": "Materiaal", "risks": "Risico's",
        "any_risk": "Ondernemingen met een gerapporteerd risico", "theme": "Thema",
        "steps": "Voortgang per stap", "step": "Stap",
        "cases": "Klachten en geschillen", "case_kind": "Soort zaak", "case_state": "Stand", "case_count": "Zaken",
        "appeals_upheld": "Bezwaren tegen een beoordeling gegrond verklaard",
        "verification": "Verificatie", "verified": "Geverifieerde rapportages (steekproef)",
        "corrected": "waarvan gecorrigeerd",
        "mitigation_any": "Bijgedragen aan het verminderen van risico's (stap 3)",
        "systematic_monitoring": "Systematisch gemonitord en geëvalueerd (stap 4)",
        "public_communication": "Publiek gecommuniceerd (stap 5)",
        "participation": "Deelname", "role": "Rol", "start": "begin", "end": "eind", "target": "doel",
        "realised": "gerealiseerd", "authorities": "Aanbestedende diensten", "share": "Aandeel in de import (schatting)",
        "none": "geen", "members_chart": "Leden eind van het jaar tegen het doel",
    },
    "en": {
        "title": "Sector report, covenant year {year}", "period": "{start} to {end}",
        "intro": "Figures over each company's latest assessed report. Averages, and counts per production "
                 "country, material, risk or member country, resting on fewer than {min} companies (none "
                 "included) are suppressed; a production country is named from {min} companies. The results of "
                 "the sector as a whole are shown as counts, as in the covenant's annual report, once they rest "
                 "on at least {min} companies. A quarry region is named from {regions} companies.",
        "edition": "Edition {number}, released on {date}", "by_schedule": "as scheduled",
        "by_secretariat": "by the secretariat",
        "edition_note": "This edition counts the reports as they were assessed when it was released. What arrives "
                        "later is in the next edition, which is released only once the contributions of at least "
                        "{min} companies have changed: so no two editions together reveal anything about one "
                        "company.",
        "editions": "Other editions", "edition_short": "edition {number} ({date})",
        "other_countries": "And {count} more production countries, each with fewer than {min} companies (not named).",
        "other_countries_short": "Other production countries (not named)",
        "no_data": "Nothing to show: no companies, or too few to publish",
        "suppressed": "suppressed", "assessed": "Assessed reports", "outcomes": "Outcome",
        "requirements": "Requirements",
        "requirement": "Requirement", "met": "met", "applicable": "applicable",
        "bands": "Scores", "band": "Score", "all": "all assessed", "among_compliant": "of which compliant",
        "by_member_country": "Outcome by member country", "member_country": "Country",
        "chain": "The chain", "mean_quarries": "Mean share of quarries known",
        "mean_factories": "Mean share of factories known", "chains": "Supply chains per company",
        "unknown": "unknown", "countries": "Production countries", "country": "Country", "companies": "Companies",
        "regions": "Quarry regions sourced by more than {more} companies", "region": "Region", "state": "State",
        "materials": "Materials", "material": "Material", "risks": "Risks",
        "any_risk": "Companies that reported a risk", "theme": "Theme", "steps": "Progress per step", "step": "Step",
        "cases": "Complaints and disputes", "case_kind": "Kind of case", "case_state": "Where they stand",
        "case_count": "Cases",
        "appeals_upheld": "Appeals against an assessment upheld",
        "verification": "Verification", "verified": "Reports verified (sample)", "corrected": "of which corrected",
        "mitigation_any": "Contributed to reducing risks (step 3)",
        "systematic_monitoring": "Monitor and evaluate systematically (step 4)",
        "public_communication": "Communicate publicly (step 5)",
        "participation": "Participation", "role": "Role", "start": "start", "end": "end", "target": "target",
        "realised": "realised", "authorities": "Contracting authorities", "share": "Share of imports (estimate)",
        "none": "none", "members_chart": "Members at the end of the year against the target",
    },
}

_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                                autoescape=True, undefined=jinja2.StrictUndefined)
CHART_STYLE = Style(background="white", plot_background="white", font_family="sans-serif",
                    colors=("#1f5f8b", "#9bb7d4", "#c0504d", "#4f8a3c"))


def _chart(kind, title: str, labels: list[str], series: dict[str, list], no_data: str) -> str:
    chart = kind(js=[], style=CHART_STYLE, width=720, height=max(260, 34 * len(labels) + 120),
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
    return {**LABELS[language], **vocabulary.MEMBER_COUNTRIES.labels(language),
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
        return covenant.spoken_date(_day(edition["released_at"]), language)
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
        period=labels["period"].format(start=covenant.spoken_date(covenant.year_start(year), language),
                                       end=covenant.spoken_date(covenant.year_end(year), language)),
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


def to_csv(figures: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["covenant_year", "figure", "item", "value"])
    for figure, item, value in figure_rows(figures):
        writer.writerow([figures["covenant_year"], figure, item, value])
    return buffer.getvalue()
