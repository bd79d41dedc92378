"""The notification service in a container, covenant year 1 played on its injected clock: inbox, e-mail
through a real SMTP server, signed webhooks to a real HTTP server; exactly once under redelivery, a
second instance and a restart."""
from email.header import decode_header, make_header

import json

import pytest
import requests
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies

from services.notification.service import NotificationService
from tests.support import blank_report, company, scored_event, submitted_event, with_steps_1_and_21
from tests.support import (SECRETARIAT_TOKEN, ApiContract, FakeScoring, SettableClock, SmtpServer, WebhookReceiver, auth,
                           free_port, wait_until)

ROUND = "2020-12-15T10:00:00+00:00"
SECRET = "webhook-secret-of-company-b"


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


class Instances:
    """Notification containers sharing one clock and database: `start()` makes another instance."""

    def __init__(self, container_factory, config, members):
        self.container_factory = container_factory
        self.config = config
        self.members = members
        self.clock = SettableClock(ROUND)

    def start(self, second_instance=False):
        # a second instance is another process in production: here it needs a port of its own
        ports = {**self.config["HTTP_PORTS"], "notification": free_port()} if second_instance \
            else self.config["HTTP_PORTS"]
        container = self.container_factory(NotificationService, {**self.config, "HTTP_PORTS": ports})
        replace_dependencies(container, identity=self.members.identity(), scoring=FakeScoring(), clock=self.clock)
        container.start()
        return container


@pytest.fixture
def notification(container_factory, service_config, members, smtp):
    return Instances(container_factory, {
        **service_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port,
        "SECRETARIAT_EMAIL": "secretariaat@trustone.example", "DELIVERY_BACKOFF_SECONDS": 0.1,
        "DELIVERY_ATTEMPTS": 3}, members)


def inbox(url, token):
    return requests.get(url("notification", "/v1/notices?per_page=200"), headers=auth(token)).json()["items"]


def kinds(items):
    return sorted(item["kind"] for item in items)


def webhook_state(url, token):
    """The webhook delivery of the recipient's first notice."""
    deliveries = inbox(url, token)[0]["deliveries"]
    return next(state for channel, state in deliveries.items() if channel.startswith("webhook"))


def webhook_failed(url, token):
    def failed():
        return webhook_state(url, token)["state"] == "failed"
    return failed


def subject(message):
    return str(make_header(decode_header(message["Subject"])))


def test_covenant_year_1_is_noticed_exactly_once(notification, members, publish, url, smtp):
    first = notification.start()
    on_time = company(joined_on="2019-10-01", language="nl")
    late = {**company(joined_on="2019-12-01", language="en"), "name": "Late Stone Ltd"}
    newcomer = company(joined_on="2020-08-01")  # joined after 30 June 2020: not obliged for year 1
    for who, token in ((on_time, "token-a"), (late, "token-b"), (newcomer, "token-c")):
        members.add(token, "company", who["id"])
        with entrypoint_waiter(first, "remember_company"):
            publish("submission", "company_registered", {"company": who})

    receiver = WebhookReceiver(SECRET, fail_first=1)
    hook = requests.post(url("notification", "/v1/webhooks"), headers=auth("token-b"),
                         json={"url": receiver.url, "secret": SECRET})
    assert hook.status_code == 201

    # The reporting round: both obliged companies report before 31 December 2020; one needs more time.
    late_scored = None
    for who, report in ((on_time, with_steps_1_and_21(blank_report(plan_of_approach=True))), (late, blank_report())):
        with entrypoint_waiter(first, "confirm_receipt"):
            publish("submission", "report_submitted", submitted_event(report, who, report_id=f"r-{who['id']}",
                                                                      submitted_at=ROUND))
        with entrypoint_waiter(first, "announce_outcome"):
            wire = publish("scoring", "report_scored", scored_event(report, who, report_id=f"r-{who['id']}",
                                                                    submitted_at=ROUND))
        late_scored = wire
    assert kinds(inbox(url, "token-a")) == ["outcome", "receipt"]
    late_notices = {item["kind"]: item for item in inbox(url, "token-b")}
    assert sorted(late_notices) == ["extension", "outcome", "receipt"]
    assert late_notices["extension"]["body"] == (
        "Your report for covenant year 1 does not yet meet the requirements. You have until 1 April 2021 "
        "to submit a report that does.")
    in_dutch = requests.get(url("notification", "/v1/notices?language=nl"), headers=auth("token-b")).json()
    assert {item["kind"]: item["body"] for item in in_dutch["items"]}["extension"] == (
        "Uw rapportage over convenantjaar 1 voldoet nog niet aan de eisen. U krijgt de tijd tot en met 1 april 2021 "
        "om een rapportage in te dienen die wel voldoet."), "read on a Dutch page, in Dutch"
    assert kinds(inbox(url, SECRETARIAT_TOKEN)) == ["alert_needs_more_time"]

    # The year goes on: the timer runs on the days that matter (and twice on one of them).
    def tick(day, container=first):
        notification.clock.set(f"{day}T06:00:00+00:00")
        with entrypoint_hook(container, "send_reminders") as send_reminders:
            send_reminders()

    for day in ("2020-12-30", "2021-01-01", "2021-03-01", "2021-03-02", "2021-03-02", "2021-03-03"):
        tick(day)
    second = notification.start(second_instance=True)  # a second instance runs the same timer
    for day in ("2021-03-25", "2021-03-31"):
        tick(day)
        tick(day, second)
    second.stop()
    first.stop()
    restarted = notification.start()  # a restart sends nothing again
    for day in ("2021-03-31", "2021-04-02", "2021-04-02"):
        tick(day, restarted)

    reminders = sorted((item["about"]["days_before"], item["about"]["date"])
                       for item in inbox(url, "token-b") if item["kind"] == "reminder")
    assert reminders == [(1, "2021-04-01"), (7, "2021-04-01"), (30, "2021-04-01")]
    assert kinds(inbox(url, "token-a")) == ["outcome", "receipt"]
    assert inbox(url, "token-c") == []
    alerts = [item for item in inbox(url, SECRETARIAT_TOKEN) if item["kind"] == "alert_missing"]
    assert len(alerts) == 1
    assert alerts[0]["about"] == {"date": "2021-04-01", "company_ids": [late["id"]]}
    assert alerts[0]["body"] == "Na 1 april 2021 ontbreekt nog een rapportage die aan de eisen voldoet van: Late Stone Ltd."

    # A redelivered assessment adds nothing.
    with entrypoint_waiter(restarted, "announce_outcome"):
        publish("scoring", "report_scored", wire=late_scored)
    all_notices = inbox(url, "token-a") + inbox(url, "token-b") + inbox(url, SECRETARIAT_TOKEN)
    assert len(all_notices) == 2 + 6 + 2

    # One mail per notice, to the right address, in the recipient's language.
    mails = smtp.wait_for(len(all_notices))
    assert len(mails) == len(all_notices)
    assert len({mail["Message-ID"] for mail in mails}) == len(mails)
    to_late = sorted(subject(mail) for mail in mails if mail["To"] == late["email"])
    assert to_late == sorted(item["subject"] for item in inbox(url, "token-b"))
    assert "Extension to 1 April 2021 for year 1" in to_late
    assert sum(mail["To"] == "secretariaat@trustone.example" for mail in mails) == 2

    # One signed webhook call per notice of the late company; the first failed once and was retried.
    def all_delivered():
        items = inbox(url, "token-b")
        return all(state["state"] == "delivered" for item in items for state in item["deliveries"].values())
    wait_until(all_delivered, "every delivery of the late company", timeout=15)
    delivered = receiver.delivered()
    assert all(call["signed"] for call in receiver.calls)
    assert sorted(call["key"] for call in delivered) == sorted(item["key"] for item in inbox(url, "token-b"))
    assert len(receiver.calls) == len(delivered) + 1
    retried = [item for item in inbox(url, "token-b") if item["key"] == receiver.calls[0]["key"]][0]
    webhook_state = next(state for channel, state in retried["deliveries"].items() if channel.startswith("webhook"))
    assert webhook_state == {"state": "delivered", "attempts": 2}
    assert receiver.calls[0]["notice"]["recipient"] == {"role": "company", "id": late["id"]}
    receiver.close()


def with_webhook(notification, members, publish, url, webhook_url):
    """A started service that knows company "token-a", which registered a webhook at `webhook_url`: the
    container, the company and the registration's answer."""
    container = notification.start()
    who = company()
    members.add("token-a", "company", who["id"])
    with entrypoint_waiter(container, "remember_company"):
        publish("submission", "company_registered", {"company": who})
    registered = requests.post(url("notification", "/v1/webhooks"), headers=auth("token-a"),
                               json={"url": webhook_url, "secret": SECRET})
    return container, who, registered


def receipt_webhook_given_up(container, who, publish, url):
    """The company's receipt notice sent on its webhook until given up: the delivery as the company sees it."""
    with entrypoint_waiter(container, "confirm_receipt"):
        publish("submission", "report_submitted", submitted_event(blank_report(), who))
    wait_until(webhook_failed(url, "token-a"), "the webhook to be given up")
    return webhook_state(url, "token-a")


def test_a_webhook_that_keeps_failing_is_recorded_as_failed(notification, members, publish, url):
    receiver = WebhookReceiver(SECRET, fail_first=100)
    container, who, _ = with_webhook(notification, members, publish, url, receiver.url)
    assert receipt_webhook_given_up(container, who, publish, url) == {"state": "failed", "attempts": 3}
    assert len(receiver.calls) == 3
    assert inbox(url, "token-a")[0]["deliveries"]["email"]["state"] == "delivered"
    receiver.close()


def test_the_secretariat_grants_an_extension_which_replaces_the_catch_up_date(notification, members, publish, url):
    container = notification.start()
    who = company(language="nl")
    members.add("token-a", "company", who["id"])
    with entrypoint_waiter(container, "remember_company"):
        publish("submission", "company_registered", {"company": who})
    grant = {"company_id": who["id"], "covenant_year": 1, "date": "2021-05-15"}
    assert requests.post(url("notification", "/v1/extensions"), json=grant, headers=auth("token-a")).status_code == 403
    too_early = requests.post(url("notification", "/v1/extensions"), headers=auth(SECRETARIAT_TOKEN),
                              json={**grant, "date": "2020-12-01"})
    assert too_early.status_code == 422
    assert too_early.json() == {"errors": {"date": ["Must be after the due date, 2020-12-31."]}, "problems": {
        "date": [{"code": "after_due_date", "due_date": "2020-12-31",
                  "message": "Must be after the due date, 2020-12-31."}]}}
    for far, message, coded in (
            ("2022-01-01", "Must be no later than 2021-12-31, a year after the due date.",
             {"code": "within_a_year", "latest": "2021-12-31"}),
            ("9999-12-31", "Must be between 2019-10-01 and 2069-09-30.",
             {"code": "range", "min": "2019-10-01", "max": "2069-09-30"})):
        refused = requests.post(url("notification", "/v1/extensions"), headers=auth(SECRETARIAT_TOKEN),
                                json={**grant, "date": far})
        assert refused.status_code == 422 and refused.json() == {"errors": {"date": [message]}, "problems": {
            "date": [{**coded, "message": message}]}}
    unknown = requests.post(url("notification", "/v1/extensions"), headers=auth(SECRETARIAT_TOKEN),
                            json={**grant, "company_id": "nobody"})
    assert unknown.json()["errors"] == {"company_id": ["No such member company."]}
    assert unknown.json()["problems"]["company_id"][0]["code"] == "no_such_company"
    granted = requests.post(url("notification", "/v1/extensions"), json=grant, headers=auth(SECRETARIAT_TOKEN))
    assert granted.status_code == 201
    assert inbox(url, "token-a")[0]["body"] == (
        "Het secretariaat heeft u uitstel verleend: uw rapportage over convenantjaar 1 wordt uiterlijk "
        "15 mei 2021 verwacht.")
    with entrypoint_waiter(container, "announce_outcome"):
        publish("scoring", "report_scored", scored_event(blank_report(), who, submitted_at=ROUND))
    extension = [item for item in inbox(url, "token-a") if item["kind"] == "extension"][0]
    assert "15 mei 2021" in extension["body"]
    members.add("token-b", "company", company()["id"])
    listed = requests.get(url("notification", "/v1/extensions"), headers=auth("token-a"))
    assert listed.json() == [grant]
    assert requests.get(url("notification", "/v1/extensions"), headers=auth("token-b")).json() == []
    assert requests.get(url("notification", "/v1/extensions?covenant_year=1"),
                        headers=auth(SECRETARIAT_TOKEN)).json() == [grant]
    assert requests.get(url("notification", "/v1/extensions?covenant_year=2"),
                        headers=auth(SECRETARIAT_TOKEN)).json() == []
    assert requests.get(url("notification", "/v1/extensions")).status_code == 401


def test_a_webhook_is_listed_and_removed_by_its_owner_only(notification, members, publish, url):
    container = notification.start()
    owner, other = company(), company()
    members.add("token-a", "company", owner["id"])
    members.add("token-b", "company", other["id"])
    receiver = WebhookReceiver(SECRET, fail_first=100)  # fails until removed
    created = requests.post(url("notification", "/v1/webhooks"), headers=auth("token-a"),
                            json={"url": receiver.url, "secret": SECRET}).json()
    assert [each["id"] for each in requests.get(url("notification", "/v1/webhooks"), headers=auth("token-a")).json()] \
        == [created["id"]]
    assert requests.get(url("notification", "/v1/webhooks"), headers=auth("token-b")).json() == []
    short = requests.post(url("notification", "/v1/webhooks"), headers=auth("token-a"),
                          json={"url": receiver.url, "secret": "short"})
    assert short.status_code == 422 and "secret" in short.json()["errors"]
    with entrypoint_waiter(container, "confirm_receipt"):
        publish("submission", "report_submitted", submitted_event(blank_report(), owner))
    address = url("notification", f"/v1/webhooks/{created['id']}")
    assert requests.delete(address, headers=auth("token-b")).status_code == 404
    assert requests.delete(address, headers=auth("token-a")).status_code == 204
    assert requests.delete(address, headers=auth("token-a")).status_code == 404
    wait_until(webhook_failed(url, "token-a"), "the removed webhook's delivery to be given up", timeout=15)
    assert webhook_state(url, "token-a")["attempts"] < 3, "given up at once, not retried to the end"
    receiver.close()


def test_who_may_ask_about_suppliers_and_see_the_questions(notification, members, publish, url):
    container = notification.start()
    supplier = {**company(), "name": "Graniet Import B.V."}
    members.add("company-token", "company", supplier["id"])
    members.add("authority-token", "authority", "a-1")
    with entrypoint_waiter(container, "remember_company"):
        publish("submission", "company_registered", {"company": supplier})
    with entrypoint_waiter(container, "remember_authority"):
        publish("submission", "authority_registered", {"authority": {
            "id": "a-1", "name": "Gemeente Leiden", "country": "NL", "joined_on": "2020-03-01"}})
    contract = ApiContract(requests.get(url("notification", "/openapi.json")).json())
    callers = (None, "company-token", "authority-token", SECRETARIAT_TOKEN, "bad-token")
    matrix = {  # public, company, authority, secretariat, bad token
        ("GET", "/v1/suppliers?name=graniet", "/v1/suppliers"): (401, 403, 200, 200, 401),
        ("POST", "/v1/supplier-questions", "/v1/supplier-questions"): (401, 403, 201, 403, 401),
        ("GET", "/v1/supplier-questions", "/v1/supplier-questions"): (401, 200, 200, 200, 401),
        ("GET", "/v1/supplier-questions/page?per_page=1", "/v1/supplier-questions/page"): (401, 200, 200, 200, 401),
        ("GET", "/v1/supplier-questions/authorities", "/v1/supplier-questions/authorities"): (401, 403, 403, 200, 401),
    }
    for (method, path, template), expected in matrix.items():
        for token, status in zip(callers, expected):
            answer = requests.request(method, url("notification", path), headers=auth(token) if token else {},
                                      json={"company_id": supplier["id"]} if method == "POST" else None)
            assert answer.status_code == status, (method, path, token, answer.text)
            contract.check(method, template, answer)
    assert requests.get(url("notification", "/v1/suppliers?name=graniet"), headers=auth("authority-token")).json() \
        == [{"id": supplier["id"], "name": "Graniet Import B.V.", "country": "NL", "role": "importer"}]
    refused = requests.post(url("notification", "/v1/supplier-questions"), headers=auth("authority-token"),
                            json={"company_id": supplier["id"], "name": "Graniet"})
    assert refused.status_code == 422 and refused.json()["errors"] == {"company_id": ["Give either company_id or name."]}
    about = requests.get(url("notification", "/v1/supplier-questions"), headers=auth("company-token")).json()
    assert [each["authority"]["name"] for each in about] == ["Gemeente Leiden"]
    assert [each["kind"] for each in inbox(url, "company-token")] == ["supplier_question"]
    with entrypoint_waiter(container, "remember_authority"):
        publish("submission", "authority_registered", {"authority": {
            "id": "a-2", "name": "Gemeente Amsterdam", "country": "NL", "joined_on": "2019-09-01"}})
    listed = requests.get(url("notification", "/v1/supplier-questions/authorities?per_page=1&page=2"), headers=auth(SECRETARIAT_TOKEN))
    assert listed.json() == {"total": 2, "page": 2, "per_page": 1, "items": [
        {"id": "a-1", "name": "Gemeente Leiden", "country": "NL", "joined_on": "2020-03-01", "questions": 1}]}
    first = requests.get(url("notification", "/v1/supplier-questions/authorities"), headers=auth(SECRETARIAT_TOKEN)).json()["items"]
    assert [(each["name"], each["questions"]) for each in first] == [("Gemeente Amsterdam", 0), ("Gemeente Leiden", 1)]
    # a page of the questions, newest first, as each caller may see them (the list above, paged)
    asked = requests.post(url("notification", "/v1/supplier-questions"), headers=auth("authority-token"),
                          json={"name": "Nobody Import"})
    assert asked.status_code == 201
    everything = requests.get(url("notification", "/v1/supplier-questions"), headers=auth(SECRETARIAT_TOKEN)).json()
    for token, seen in ((SECRETARIAT_TOKEN, everything), ("authority-token", everything), ("company-token", about)):
        pages = [requests.get(url("notification", "/v1/supplier-questions/page"), params={"page": number, "per_page": 1},
                              headers=auth(token)).json() for number in (1, 2, 3)]
        assert [page["total"] for page in pages] == [len(seen)] * 3
        paged = [each for page in pages for each in page["items"]]  # ties (one clock) in a fixed order of their own
        assert sorted(paged, key=lambda each: each["id"]) == sorted(seen, key=lambda each: each["id"]), token
        assert [each["asked_at"] for each in paged] == sorted((each["asked_at"] for each in paged), reverse=True)


def test_a_company_s_standing_is_answered_over_http_and_rpc_to_whom_may_read_it(notification, members, publish, url):
    container = notification.start()
    member, other = {**company(), "name": "Graniet Import B.V."}, {**company(), "name": "Basalt B.V."}
    members.add("company-token", "company", member["id"])
    members.add("authority-token", "authority", "a-1")
    for who in (member, other):
        with entrypoint_waiter(container, "remember_company"):
            publish("submission", "company_registered", {"company": who})
    with entrypoint_waiter(container, "confirm_receipt"):
        publish("submission", "report_submitted", submitted_event(blank_report(), member))
    with entrypoint_waiter(container, "announce_outcome"):
        publish("scoring", "report_scored", scored_event(blank_report(), member))
    contract = ApiContract(requests.get(url("notification", "/openapi.json")).json())
    callers = (None, "company-token", "authority-token", SECRETARIAT_TOKEN)
    for token, status in zip(callers, (401, 200, 403, 200)):
        answer = requests.get(url("notification", "/v1/standings"), headers=auth(token) if token else {})
        assert answer.status_code == status, (token, answer.text)
        contract.check("GET", "/v1/standings", answer)
    own = requests.get(url("notification", "/v1/standings"), params={"company_id": other["id"]},
                       headers=auth("company-token")).json()
    assert [each["member"]["id"] for each in own] == [member["id"]], "a company reads its own, whatever it asks"
    year_1 = own[0]["years"][0]
    assert {key: year_1[key] for key in ("covenant_year", "status", "reported_on", "reported", "deadline",
                                         "deadline_kind", "latest_version", "outcome")} == {
        "covenant_year": 1, "status": "needs_more_time", "reported_on": "2020-12-01", "reported": "on_time",
        "deadline": "2021-04-01", "deadline_kind": "catch_up_date", "latest_version": 1, "outcome": "needs_more_time"}
    assert own[0]["upcoming"] == ["2021-04-01", "2021-12-31"], "its catch-up date, and year 2's due date"
    everyone = requests.get(url("notification", "/v1/standings"), params={"covenant_year": 1},
                            headers=auth(SECRETARIAT_TOKEN)).json()
    assert [(each["member"]["name"], [year["status"] for year in each["years"]]) for each in everyone] == [
        ("Basalt B.V.", ["due"]), ("Graniet Import B.V.", ["needs_more_time"])]
    with entrypoint_hook(container, "standing_of") as standing_of:
        assert standing_of(member["id"]) == own[0]


# --- webhooks cannot be aimed inside the network -----------------------------------------------------

@pytest.mark.parametrize("hostile", [
    "http://localhost:{port}/hook",                 # plain http to a host the operator did not allow
    "https://localhost:{port}/hook",                # resolves to loopback
    "https://0x7f000001:{port}/hook", "https://2130706433:{port}/hook", "https://017700000001:{port}/hook",
    "https://[::1]:{port}/hook", "https://[::ffff:127.0.0.1]:{port}/hook",
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/hook",
])
def test_a_webhook_aimed_inward_is_refused_when_registered(notification, members, url, hostile):
    notification.start()
    members.add("token-a", "company", company()["id"])
    receiver = WebhookReceiver(SECRET)
    hostile = hostile.format(port=receiver.url.split(":")[2].split("/")[0])
    refused = requests.post(url("notification", "/v1/webhooks"), headers=auth("token-a"),
                            json={"url": hostile, "secret": SECRET})
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["url"]
    assert requests.get(url("notification", "/v1/webhooks"), headers=auth("token-a")).json() == []
    assert receiver.calls == []
    receiver.close()


class Connections:
    """A TCP port on this machine that only counts the connections made to it."""

    def __init__(self):
        import eventlet
        self.made = 0
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.thread = eventlet.spawn(self._accept)

    def _accept(self):
        while True:
            connection, _ = self.socket.accept()
            self.made += 1
            connection.close()

    def close(self):
        self.thread.kill()
        self.socket.close()


def test_a_webhook_whose_name_turns_inward_is_refused_at_delivery(notification, members, publish, url,
                                                                   monkeypatch):
    """DNS rebinding: the name was public when registered and points at this machine when a notice goes."""
    from services.notification import dependencies
    inside = Connections()
    answers = {"hooks.example.com": "93.184.215.14"}
    monkeypatch.setattr(dependencies, "resolve", lambda host, port: [(2, 1, 6, "", (answers[host], port))])
    container, who, registered = with_webhook(notification, members, publish, url,
                                              f"https://hooks.example.com:{inside.port}/hook")
    assert registered.status_code == 201
    answers["hooks.example.com"] = "127.0.0.1"
    assert receipt_webhook_given_up(container, who, publish, url) == {"state": "failed", "attempts": 3}  # not why
    assert inside.made == 0
    inside.close()


def test_a_webhook_redirect_is_not_followed(notification, members, publish, url):
    elsewhere = WebhookReceiver(SECRET)
    redirecting = WebhookReceiver(SECRET, redirect_to=elsewhere.url)
    container, who, _ = with_webhook(notification, members, publish, url, redirecting.url)
    assert receipt_webhook_given_up(container, who, publish, url) == {"state": "failed", "attempts": 3}
    assert [call["method"] for call in redirecting.calls] == ["POST"] * 3
    assert elsewhere.calls == []
    redirecting.close()
    elsewhere.close()


def test_paging_is_bounded(notification, members, url):
    notification.start()
    members.add("token-a", "company", company()["id"])
    for query, field in (("page=10001", "page"), ("page=" + "9" * 30, "page"), ("per_page=201", "per_page"),
                         ("page=0", "page"), ("page=x", "page"), ("language=fr", "language")):
        refused = requests.get(url("notification", f"/v1/notices?{query}"), headers=auth("token-a"))
        assert refused.status_code == 422 and list(refused.json()["errors"]) == [field], query
    assert requests.get(url("notification", "/v1/notices?page=10000"), headers=auth("token-a")).json()["items"] == []


class TlsReceiver:
    """An https server on this machine with a certificate for `name` from a CA made here (`ca_file`):
    records each request's Host header and the name the client asked for in TLS's SNI."""

    def __init__(self, directory, name):
        import datetime
        import ssl

        import eventlet
        import eventlet.wsgi
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        def certificate(subject, issuer, key, signer, ca):
            now = datetime.datetime.now(datetime.timezone.utc)
            builder = x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(
                key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(
                now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1)).add_extension(
                x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            if not ca:
                builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            return builder.sign(signer, hashes.SHA256())

        ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
        ca = certificate(ca_name, ca_name, ca_key, ca_key, True)
        leaf = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), ca_name, key, ca_key, False)
        self.ca_file, chain, key_file = directory / "ca.pem", directory / "leaf.pem", directory / "leaf.key"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        self.requests, self.sni = [], []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key_file)
        context.sni_callback = lambda connection, server_name, _: self.sni.append(server_name)
        self.socket = context.wrap_socket(eventlet.listen(("127.0.0.1", 0)), server_side=True)
        self.port = self.socket.getsockname()[1]
        self.thread = eventlet.spawn(eventlet.wsgi.server, self.socket, self._app, log_output=False)

    def _app(self, environ, start_response):
        self.requests.append({"host": environ.get("HTTP_HOST"), "method": environ["REQUEST_METHOD"],
                              "body": environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))})
        start_response("204 No Content", [])
        return [b""]

    def close(self):
        self.thread.kill()
        self.socket.close()


def a_notice():
    from datetime import datetime, timezone
    return {"_id": "receipt:r-1:1", "kind": "receipt", "language": "en", "subject": "Receipt", "body": "We got it.",
            "covenant_year": 1, "created_at": datetime.now(timezone.utc), "about": {}, "deliveries": {},
            "recipient_role": "company", "recipient_id": "c-1"}


def test_an_https_webhook_is_sent_to_the_checked_address_by_its_name(service_config, tmp_path, monkeypatch):
    """The name's address is resolved once and connected to; the name goes in Host and SNI, and the
    certificate must be for that name."""
    import ssl

    import urllib3

    from common.settings import Settings
    from services.notification import dependencies
    # pytest's plugins import urllib3 before eventlet patches ssl; `nameko run` imports it after. Give it
    # the patched SSLContext it has there.
    monkeypatch.setattr(urllib3.util.ssl_, "SSLContext", ssl.SSLContext)
    receiver = TlsReceiver(tmp_path, "hooks.example.com")
    monkeypatch.setattr(dependencies, "resolve", lambda host, port: [(2, 1, 6, "", ("127.0.0.1", port))])
    monkeypatch.setattr(dependencies.certifi, "where", lambda: str(receiver.ca_file))
    channels = dependencies.Channels(Settings.from_config({
        **service_config, "WEBHOOK_TRUSTED_HOSTS": "hooks.example.com,other.example.com"}))
    channels.post(a_notice(), {"url": f"https://hooks.example.com:{receiver.port}/hook", "secret": SECRET})
    assert receiver.sni == ["hooks.example.com"]
    assert [(each["method"], each["host"]) for each in receiver.requests] == [
        ("POST", f"hooks.example.com:{receiver.port}")]
    assert json.loads(receiver.requests[0]["body"])["key"] == "receipt:r-1:1"
    with pytest.raises(Exception, match="(?i)certificate|hostname"):  # same address, a name it has no certificate for
        channels.post(a_notice(), {"url": f"https://other.example.com:{receiver.port}/hook", "secret": SECRET})
    assert len(receiver.requests) == 1
    receiver.close()
