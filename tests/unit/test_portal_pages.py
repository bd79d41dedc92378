"""The portal's words: every refusal the services can give reaches people in plain words, in Dutch and in
English, worded from its code and parameters (never from its English message)."""
import pytest

from common import problems
from services.portal import pages, words


def example(kind: problems.Kind) -> problems.Problem:
    """A problem of a kind as a service gives it (marshmallow's own messages filled in as marshmallow does)."""
    if "{" in kind.message and not kind.example.keys() - {"expected"}:
        return kind.template(**kind.example).format(obj_type="datetime", awareness="aware", input="x")
    return kind(**kind.example)


EVERY_KIND = [kind for kinds in problems.KINDS.values() for kind in kinds]


@pytest.mark.parametrize("kind", EVERY_KIND, ids=lambda kind: f"{kind.code}:{kind.message[:30]}")
def test_every_code_the_services_can_give_has_its_words_in_both_languages(kind):
    problem = example(kind)
    assert problem.code in words.PROBLEMS, "the portal words it from its code"
    english, dutch = words.worded(problem, "en"), words.worded(problem, "nl")
    assert english and dutch and english != dutch
    assert "{" not in english + dutch and "_" not in english + dutch, "every field filled in, no code shown"


def test_the_portal_has_words_for_no_code_the_services_cannot_give():
    assert set(words.PROBLEMS) == set(problems.KINDS)


@pytest.mark.parametrize("problem,english,dutch", [
    (problems.NULL(), "Fill this in.", "Vul dit in."),
    (problems.REQUIRED(), "Fill this in.", "Vul dit in."),
    (problems.ONE_OF(choices=["basalt", "granite"]), "Choose one of the options.", "Kies een van de mogelijkheden."),
    (problems.COUNTRY(value="XX"), "Choose a country.", "Kies een land."),
    (problems.AFTER_DUE_DATE(due_date="2020-12-31"), "Must be after the due date (31 December 2020).",
     "Moet na de uiterste datum liggen (31 december 2020)."),
    (problems.RANGE(min=0, max=1_000_000), "Enter a value from 0 to 1000000.",
     "Vul een waarde in van 0 tot en met 1000000."),
    (problems.MAX_LENGTH(max=200), "Too long: use at most 200 characters.", "Te lang: gebruik hoogstens 200 tekens."),
    (problems.HTTPS_URL(), "Enter a web address starting with https://.",
     "Vul een webadres in dat begint met https://."),
    (problems.TOO_MANY_ATTEMPTS(minutes=1), "Too many attempts. Try again in 1 minute.",
     "Te veel pogingen. Probeer het over 1 minuut opnieuw."),
    (problems.TOO_MANY_ATTEMPTS(minutes=15), "Too many attempts. Try again in 15 minutes.",
     "Te veel pogingen. Probeer het over 15 minuten opnieuw."),
])
def test_the_apis_refusals_reach_people_in_plain_words(problem, english, dutch):
    assert (pages.words.message(problem, "en"), pages.words.message(problem, "nl")) == (english, dutch)


@pytest.mark.parametrize("problem,dutch", [
    (problems.SEAT_NOT_ALLOWED(seats=["chair", "employers"], state="acknowledged"),
     "Alleen de onafhankelijk voorzitter of lid namens de werkgevers mag een zaak die bevestigd is verder zetten."),
    (problems.MOVE_NOT_ALLOWED(state="received", allowed=["acknowledged"]),
     "Een zaak die ontvangen is, kan naar: bevestigd."),
    (problems.MOVE_NOT_ALLOWED(state="closed", allowed=[]), "Een zaak die gesloten is, kan niet verder."),
    (problems.ADMISSIBLE_NEEDED(), "Zeg of de zaak ontvankelijk is."),
    (problems.FILE_TYPE(file=2), "Bestand 2 is geen foto (JPEG of PNG) of pdf."),
    (problems.FILE_TYPE(file=None), "Het bestand is geen foto (JPEG of PNG) of pdf."),
    (problems.ROLE_NEEDED(roles=["secretariat", "company"]), "Hiervoor is de rol secretariaat of onderneming nodig."),
    (problems.NOT_ASKED(), "De commissie heeft uw onderneming niet gevraagd op deze zaak te reageren."),
    (problems.MIN_LENGTH(min=2), "Te kort: gebruik minstens 2 tekens."),
    (problems.Problem("Must be greater than or equal to 0 and less than 5.", "range", min=0, max=5,
                      max_inclusive=False), "Vul 0 of meer en minder dan 5 in."),
    (problems.NOT_CRITERIA_OF_APPEAL(criteria=["grievance_mechanism", "public_report"]),
     "Geen criteria van het bezwaar: Klachtenmechanisme, Publiek gecommuniceerd."),
    (problems.ALREADY_A_REGION_NAME(region="Bundi", state="IN-RJ", country="IN"),
     "Dit is al een naam van Bundi (Rajasthan)."),
])
def test_the_commissions_and_filers_refusals_name_no_code(problem, dutch):
    assert words.message(problem, "nl") == dutch
    assert "_" not in words.message(problem, "en")


def test_a_refusal_is_worded_from_its_code_whatever_its_message_says():
    said = problems.Problem("Anything at all.", "required")
    assert words.message(said, "nl") == "Vul dit in."
    newer = problems.Problem("A reason of a newer service.", "a_code_not_known_here")
    assert words.message(newer, "nl") == "A reason of a newer service.", "shown as the service said it"
    assert words.message("No case has this number and code.", "nl") == "Geen zaak heeft dit nummer en deze code.", \
        "the portal's own texts come from its catalog"


def test_countries_are_named_and_sorted_in_the_pages_language():
    dutch = dict(pages.countries("nl"))
    assert (dutch["DE"], dutch["IN"], dutch["TR"]) == ("Duitsland", "India", "Turkije")
    assert [name for _, name in pages.countries("en")][:2] == ["Afghanistan", "Åland Islands"]


def test_a_page_whose_database_or_broker_does_not_answer_says_so_and_asks_to_try_again():
    from pymongo.errors import AutoReconnect
    answer = pages.PageHandler("GET", "/anything").response_from_exception(AutoReconnect("no primary"))
    assert answer.status_code == 503 and "Probeer het over een paar minuten opnieuw" in answer.get_data(as_text=True)


class _Answer:
    def __init__(self, status: int, body: dict):
        self.status_code, self._body, self.headers = status, body, {"Content-Type": "application/json"}

    def json(self):
        return self._body


class _Session:
    def __init__(self, answer):
        self.answer = answer

    def request(self, method, url, **kwargs):
        return self.answer


def test_the_portal_reads_a_services_coded_refusals_and_shows_an_older_ones_as_it_said_them():
    from services.portal.dependencies import ApiClient

    def refused(answer):
        with pytest.raises(Exception) as caught:
            ApiClient(_Session(answer), {"notification": "http://notification"}, "t", "c").post("notification", "/x")
        return caught.value
    coded = refused(_Answer(422, {"errors": {"date": ["Must be after the due date, 2020-12-31."]}, "problems": {
        "date": [{"code": "after_due_date", "due_date": "2020-12-31", "message": "Must be after the due date, "
                                                                                 "2020-12-31."}]}}))
    assert words.message(coded.problems["date"][0], "nl") == "Moet na de uiterste datum liggen (31 december 2020)."
    older = refused(_Answer(422, {"errors": {"date": ["Must be after the due date, 2020-12-31."]}}))
    assert words.message(older.problems["date"][0], "nl") == "Must be after the due date, 2020-12-31."
    forbidden = refused(_Answer(403, {"error": {"code": "FORBIDDEN", "message": "Only the commission's chair may do "
                                                "this.", "problem": {"code": "chair_only", "message": "..."}}}))
    assert words.message(forbidden.problem, "nl") == "Alleen de voorzitter van de commissie mag dit doen."


def test_the_company_page_lists_who_checked_each_proof_in_its_words():
    from services.portal.usecases import Visitor
    checks = [{"at": "2021-03-01T10:00:00+00:00", "by": by} for by in (
        {"kind": "unnamed", "name": None}, {"kind": "stated", "name": "Gemeente <b>Zwolle</b>"},
        {"kind": "secretariat", "name": None},
        {"kind": "company", "name": "Steen & Co B.V."}, {"kind": "authority", "name": "Gemeente Utrecht"})]
    listed = [{"id": "att-1", "issued_at": "2021-03-01T09:00:00+00:00", "holds_until": "2021-12-31",
               "verifications": 7, "last_verified_at": "2021-03-01T10:00:00+00:00", "checks": checks}]
    member = Visitor("nl", "s-1", "company", {"id": "c-1", "name": "Graniet"}, "token", "csrf")
    page = pages.render("company.html.j2", "nl", visitor=member, path="/company", years=[], notices=[],
                        total_notices=0, inbox=None, asked=[], cases=[], attestations=listed).get_data(as_text=True)
    for said in ("iemand die niet zei wie het was of voor wie",
                 "iemand die niet was aangemeld en zei te controleren voor Gemeente &lt;b&gt;Zwolle&lt;/b&gt;",
                 "het secretariaat van het convenant",
                 "het deelnemende bedrijf Steen &amp; Co B.V.", "de aanbestedende dienst Gemeente Utrecht",
                 "De laatste 5 controles staan hier."):
        assert said in page, said


def test_the_check_of_a_proof_of_membership_says_why_it_is_refused_and_marks_an_empty_field():
    refused = {"genuine": False, "holds": False, "reason": problems.WITHDRAWN_KEY(),
               "key_id": "k", "attestation": {"member": {"name": "Someone"}}}
    page = pages.render("attestation_check.html.j2", "nl", visitor=None, path="/attestations/check", given="x",
                        answer=refused, errors={}).get_data(as_text=True)
    assert "Niet echt" in page and "De sleutel waarmee het is ondertekend, is ingetrokken" in page
    assert "Someone" not in page, "what a refused proof says is not shown as if it were true"
    empty = pages.render("attestation_check.html.j2", "en", visitor=None, path="/attestations/check", given="",
                         answer=None, errors={"attestation": [problems.MIN_LENGTH(min=1)]}).get_data(as_text=True)
    assert 'aria-invalid="true"' in empty and "There is a problem" in empty and "The proof's text: Fill this in." in empty
