"""`trustone`: run the platform.

    trustone run                 every service in this process; embedded broker and document engine
                                 unless AMQP_URI / MONGO_URI say otherwise
    trustone run scoring         one service in this process (docker-compose.yml runs each service with
                                 `nameko run --config deploy/config.yaml services.<name>.service`)
    trustone run --demo          the embedded platform with covenant year 1 played in: its clock set
                                 to 15 December 2020, every member registered and report submitted,
                                 and a demo chair of the complaints commission appointed (its code logged)
    trustone demo                load that data set into running services (through their HTTP API)
    trustone rescore 1           after correcting services/scoring/frameworks/year-1.yaml (raise its
                                 version): the scoring service re-reads the files and rescores year 1
    trustone engine --port 27018 serve the in-process document engine to several processes of this
                                 machine: MONGO_URI=mongomock+tcp://127.0.0.1:27018/trustone (several
                                 instances of a service share it as they would MongoDB; tests and trials)
    trustone parked list         the events handlers parked (failed on every attempt, or never
                                 handleable), with why; `trustone parked replay ID...` puts them back
                                 on their handler's queue, `trustone parked discard ID...` drops them
                                 (`--all` for every one); needs the broker (AMQP_URI)
    trustone queues quorum notification
                                 move a stopped service's queues (event, retry, parked, RPC) from
                                 classic to quorum queues, nothing lost, while the rest of the platform
                                 runs; then start it with QUEUE_TYPE=quorum (`--all`: every service;
                                 `trustone queues list ...`: each queue's type, messages, consumers);
                                 needs the broker (AMQP_URI)
    trustone replay reporting    rebuild a consumer service that lost its database (scoring,
                                 notification, reporting, complaints): submission and scoring send
                                 their stored events again (registrations, every report version,
                                 every assessment, verification) to it alone
    trustone appoint-chair --name "A. Voorzitter" --email chair@example.org --language nl
                                 appoint the complaints commission's first chair, once, at deployment,
                                 and print its sign-in code (shown this once); later seats are registered
                                 by the secretariat and confirmed by the chair; needs the broker (AMQP_URI)
    trustone attestation-key new print a new private key to sign attestations with, for
                                 ATTESTATION_SIGNING_KEYS (put it first; keep the old ones after it)
    trustone verify-attestation attestation.jws --keys keys.json
                                 check an attestation offline, with only the platform's published
                                 keys (a saved copy of GET /v1/attestations/keys, or its URL); exits 0
                                 when it is genuine and still holds, 1 otherwise
    trustone check-figures 1     recompute year 1's figures from scoring's latest assessments and compare
                                 them with the incremental state; exits 1 on any difference
"""
from __future__ import annotations

import warnings

# eventlet announces its own deprecation and nameko 2's CLI imports pkg_resources: both known, both noise.
warnings.filterwarnings("ignore", message="(?s).*(Eventlet is deprecated|pkg_resources is deprecated)")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # before anything imports sockets

import argparse  # noqa: E402
import logging.config  # noqa: E402
import sys  # noqa: E402

from common.logging import get_logger  # noqa: E402
from common.settings import (CONFIG_FILE, DEMO_SECRETARIAT_TOKEN, EMBEDDED_DEMO, Settings, load_config,  # noqa: E402
                             read_by, secretariat_token_fault)
from common.vocabulary import SERVICES  # noqa: E402


def service_class(name: str):
    module = __import__(f"services.{name}.service", fromlist=["service"])
    return module.SERVICE


def describe(settings: Settings, names) -> list[str]:
    """The first log lines: where to open the platform in a browser, what runs, on what, and what is (not)
    kept."""
    lines = []
    if "portal" in names:
        lines.append(f"open the portal in a browser: {settings.local_urls()['portal']}")
    lines.append(f"starting {', '.join(names)}")
    if settings.embedded_broker:
        lines.append("broker: in-memory (kombu memory://), reachable only inside this process")
    else:
        lines.append(f"broker: {_redact(settings.amqp_uri)}")
    if settings.embedded_mongo:
        lines.append("documents: in-process engine (mongomock), one database per service")
    elif settings.mongo_uri.startswith("mongomock+tcp://"):
        lines.append(f"documents: the in-process engine shared by `trustone engine` at {_redact(settings.mongo_uri)}")
    else:
        lines.append(f"documents: MongoDB at {_redact(settings.mongo_uri)}")
    if settings.embedded_broker or settings.embedded_mongo:
        lines.append("nothing this process holds in memory survives a restart")
    for name in names:
        host, port = settings.http_address(name)
        lines.append(f"{name}: http://{host}:{port}")
    if "portal" in names and settings.secretariat_token == DEMO_SECRETARIAT_TOKEN:
        lines.append(f"sign in to the portal as the secretariat with the code {DEMO_SECRETARIAT_TOKEN}")
    return lines


def _redact(uri: str) -> str:
    head, at, tail = uri.rpartition("@")
    return f"{head.split('//')[0]}//***@{tail}" if at else uri


def run(args) -> int:
    import os
    import secrets

    from nameko.cli.run import run as run_services

    from launcher import demo, embedded

    if args.demo:
        os.environ.setdefault("CLOCK", demo.data()["clock"])
    config = load_config(args.config)
    names = args.services or SERVICES
    if not config.get("PORTAL_SERVICE_KEY") and "portal" in names and len(names) > 1:
        # The services in this process share one configuration: the portal vouches for its visitors with a
        # secret of this start, which no other client on the machine has.
        config["PORTAL_SERVICE_KEY"] = secrets.token_urlsafe(32)
    settings = Settings.from_config(config)
    unknown = [each for each in names if each not in SERVICES]
    if unknown:
        print(f"unknown service(s): {', '.join(unknown)}; choose from {', '.join(SERVICES)}", file=sys.stderr)
        return 2
    if settings.embedded_broker:  # a demo in one process: the secretariat's demo code is let through, warned of
        config[EMBEDDED_DEMO] = True
    weak = secretariat_token_fault(settings.secretariat_token, config) \
        if any("SECRETARIAT_TOKEN" in read_by(name) for name in names) else None
    if weak:  # said plainly here; a service started otherwise (nameko run) refuses with the same words
        print(weak, file=sys.stderr)
        return 2
    logging.config.dictConfig(config["LOGGING"])
    log = get_logger("trustone")
    if settings.embedded_broker:
        embedded.install()
        if len(names) < len(SERVICES):
            log.warning("an in-memory broker with only some services: the others cannot reach them")
    for line in describe(settings, names):
        log.info(line)
    if settings.secretariat_token == DEMO_SECRETARIAT_TOKEN:
        log.warning("SECRETARIAT_TOKEN is the demo default; set your own outside a local demo")
    if args.demo:
        eventlet.spawn(_play_demo, settings, log)
    run_services([service_class(name) for name in names], config)
    return 0


def _play_demo(settings: Settings, log) -> None:
    from launcher import demo
    addresses = settings.local_urls()
    try:
        demo.wait_until_up(addresses)
        done = demo.load(addresses, settings.secretariat_token)
    except Exception:
        log.exception("the demo could not be loaded")
        return
    log.info("demo loaded: covenant year 1", clock=settings.clock, companies=len(done["companies"]),
             authorities=done["authorities"], reports=len(done["reports"]),
             figures=f"{addresses['reporting']}/v1/sector/1", report=f"{addresses['reporting']}/v1/sector/1/report")
    try:
        chair = demo.appoint_chair(settings.amqp_uri)
    except Exception:
        log.exception("the demo's chair of the complaints commission could not be appointed")
        return
    if chair:  # a demo's fictional chair, as the secretariat's demo code: to look around as the commission
        log.info(f"sign in to the portal as the complaints commission's demo chair with the code {chair['token']}")


def load_demo(args) -> int:
    """Loads the demo data set into running services and prints what it did (with the demo tokens)."""
    import json

    from launcher import demo
    settings = _settings(args)
    addresses = settings.local_urls()
    demo.wait_until_up(addresses)
    print(json.dumps(demo.load(addresses, settings.secretariat_token), indent=2, ensure_ascii=False))
    return 0


def check_figures(args) -> int:
    """Asks the reporting service to prove its figures against a recomputation; exits 1 on a difference."""

    import requests
    settings = _settings(args)
    answer = requests.get(f"{settings.local_urls()['reporting']}/v1/sector/{args.covenant_year}/proof",
                          headers={"Authorization": f"Bearer {settings.secretariat_token}"}, timeout=600)
    if not answer.ok:
        print(answer.text, file=sys.stderr)
        return 2
    proof = answer.json()
    for difference in proof["differences"]:
        print(f"differs: {difference['counter']}: recomputed {difference['recomputed']}, "
              f"incremental {difference['incremental']}")
    print(f"covenant year {proof['covenant_year']}: {proof['reports']} reports and {proof['members']} members "
          f"recomputed; "
          f"{'the figures agree' if proof['agrees'] else str(len(proof['differences'])) + ' difference(s)'}")
    return 0 if proof["agrees"] else 1


def rescore(args) -> int:
    """Asks the running scoring service to apply a corrected framework (its HTTP API, so it works on the
    embedded platform too)."""
    import json

    import requests

    settings = _settings(args)
    answer = requests.post(f"{settings.local_urls()['scoring']}/v1/frameworks/{args.covenant_year}/rescore",
                           headers={"Authorization": f"Bearer {settings.secretariat_token}"}, timeout=600)
    print(json.dumps(answer.json(), indent=2, ensure_ascii=False))
    return 0 if answer.ok else 1


REPLAY_SOURCES = ("submission", "scoring", "complaints")  # the services whose stored events others rebuild from


def replay(args) -> int:
    """Asks each source service to send its stored events again to one consumer (their HTTP API, so it
    works on the embedded platform too); prints what each sent."""
    import requests

    settings = _settings(args)
    failed = False
    for source in REPLAY_SOURCES:
        if source == args.consumer:
            continue
        answer = requests.post(f"{settings.local_urls()[source]}/replays", json={"consumer": args.consumer},
                               headers={"Authorization": f"Bearer {settings.secretariat_token}"}, timeout=600)
        if not answer.ok:
            print(f"{source}: {answer.status_code} {answer.text}", file=sys.stderr)
            failed = True
            continue
        sent = answer.json()["events"]
        print(f"{source} sent to {args.consumer}: "
              + (", ".join(f"{count} {kind}" for kind, count in sorted(sent.items())) or "nothing"))
    return 1 if failed else 0


def parked_events(args) -> int:
    from launcher import parked
    settings = _settings(args)
    if settings.embedded_broker:
        print("parked events are on the broker: set AMQP_URI to the platform's RabbitMQ", file=sys.stderr)
        return 2
    if args.action != "list" and not (args.ids or args.all):
        print(f"name the parked messages to {args.action} (their ids, from `trustone parked list`) or --all",
              file=sys.stderr)
        return 2
    return parked.command(settings.amqp_uri, args.action, args.ids, args.all, sys.stdout)


def queues(args) -> int:
    from launcher import queues as platform_queues
    settings = _settings(args)
    if settings.embedded_broker:
        print("the queues are on the broker: set AMQP_URI to the platform's RabbitMQ", file=sys.stderr)
        return 2
    with_queues = [each for each in SERVICES if each != "portal"]  # the portal is a client of the API only
    names = with_queues if args.all else args.services
    if not names or set(names) - set(with_queues):
        print(f"name the services whose queues to show or move ({', '.join(with_queues)}), or --all",
              file=sys.stderr)
        return 2
    return platform_queues.command(settings.amqp_uri, args.action, names, sys.stdout)


def appoint_chair(args) -> int:
    """The commission's first chair, over the broker (RPC to submission): the operators' door. The
    secretariat's token cannot seat anyone on the commission, and this door opens once."""
    from kombu.exceptions import OperationalError
    from nameko.exceptions import RpcTimeout
    from nameko.standalone.rpc import ClusterRpcProxy

    from common import errors, rpc  # noqa: F401 - rpc: the platform's errors cross RPC as themselves
    settings = _settings(args)
    if settings.embedded_broker:
        print("the chair is appointed over the platform's broker: set AMQP_URI to its RabbitMQ (the embedded "
              "platform's broker lives inside its own process; `trustone run --demo` appoints a demo chair)",
              file=sys.stderr)
        return 2
    appointment = {"name": args.name, "email": args.email, "language": args.language}
    try:
        with ClusterRpcProxy({"AMQP_URI": settings.amqp_uri}, timeout=settings.rpc_timeout_seconds) as cluster:
            chair = cluster.submission.appoint_chair(appointment)
    except errors.Invalid as refused:
        for field, messages in refused.errors.items():
            print(f"{field}: {' '.join(messages)}", file=sys.stderr)
        return 2
    except errors.DomainError as refused:
        print(refused.message, file=sys.stderr)
        return 1
    except (RpcTimeout, OperationalError, OSError) as exc:
        print(f"the submission service did not answer over the broker ({type(exc).__name__}: {exc}); is it "
              "running, and AMQP_URI the platform's?", file=sys.stderr)
        return 1
    print(f"{chair['name']} is the chair of the complaints and disputes commission (member id {chair['id']}).")
    print(f"Sign-in code, shown this once: {chair['token']}")
    print("Hand it to the chair in person; the chair confirms every later seat the secretariat registers.")
    return 0


def _settings(args) -> Settings:
    return Settings.from_config(load_config(args.config))


def attestation_key(args) -> int:
    """Prints a new Ed25519 private key for ATTESTATION_SIGNING_KEYS, and the id it will be published under."""
    from services.attestation import domain
    key = domain.new_private_key()
    print(key)
    print(f"key id (published in GET /v1/attestations/keys): {domain.key_id(domain.signing_key(key))}",
          file=sys.stderr)
    return 0


def verify_attestation(args) -> int:
    """Checks an attestation with only the published keys (a file, or the URL of the platform's JWKS):
    prints the plain answer; 0 when genuine and still holding, 1 otherwise, 2 when the keys cannot be read."""
    import json
    from datetime import datetime, timezone
    from pathlib import Path

    from urllib.parse import urlsplit

    from services.attestation import domain
    if args.keys.startswith("http://") and urlsplit(args.keys).hostname not in ("localhost", "127.0.0.1", "::1"):
        # the keys decide what is genuine: fetched in the clear, anyone on the way could hand over their own
        print(f"the published keys are fetched over https only (or from this machine): {args.keys}",
              file=sys.stderr)
        return 2
    try:
        if args.keys.startswith(("https://", "http://")):
            import requests
            published = requests.get(args.keys, timeout=30).json()
        else:
            published = json.loads(Path(args.keys).read_text())
        keys = published["keys"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"the published keys could not be read from {args.keys}: {exc}", file=sys.stderr)
        return 2
    try:
        token = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    except OSError as exc:
        print(f"the attestation could not be read: {exc}", file=sys.stderr)
        return 2
    verdict = domain.verify(token, keys, datetime.now(timezone.utc))
    for line in domain.plain_lines(verdict.as_dict()):
        print(line)
    return 0 if verdict.holds else 1


def engine(args) -> int:
    from common.shared_engine import SCHEME
    from launcher.engine_server import serve
    get_logger("trustone").info("shared document engine", uri=f"{SCHEME}{args.host}:{args.port}/<name>")
    serve(args.host, args.port)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="trustone", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run services")
    run_parser.add_argument("services", nargs="*", help=f"any of {', '.join(SERVICES)} (default: all)")
    run_parser.add_argument("--config", default=str(CONFIG_FILE))
    run_parser.add_argument("--demo", action="store_true",
                            help="play covenant year 1 in (clock at 15 December 2020 unless CLOCK is set)")
    run_parser.set_defaults(handler=run)
    demo_parser = commands.add_parser("demo", help="load the year-1 demo data set into running services")
    demo_parser.add_argument("--config", default=str(CONFIG_FILE))
    demo_parser.set_defaults(handler=load_demo)
    check_parser = commands.add_parser("check-figures", help="prove a year's figures against a recomputation")
    check_parser.add_argument("covenant_year", type=int)
    check_parser.add_argument("--config", default=str(CONFIG_FILE))
    check_parser.set_defaults(handler=check_figures)
    rescore_parser = commands.add_parser("rescore", help="apply a corrected assessment framework")
    rescore_parser.add_argument("covenant_year", type=int)
    rescore_parser.add_argument("--config", default=str(CONFIG_FILE))
    rescore_parser.set_defaults(handler=rescore)
    replay_parser = commands.add_parser("replay", help="rebuild a consumer service from the stored events")
    replay_parser.add_argument("consumer", choices=[each for each in SERVICES
                                                    if each not in ("submission", "attestation", "portal")])
    replay_parser.add_argument("--config", default=str(CONFIG_FILE))
    replay_parser.set_defaults(handler=replay)
    chair_parser = commands.add_parser("appoint-chair", help="appoint the commission's first chair (once)")
    chair_parser.add_argument("--name", required=True)
    chair_parser.add_argument("--email", required=True)
    chair_parser.add_argument("--language", required=True, choices=("nl", "en"))
    chair_parser.add_argument("--config", default=str(CONFIG_FILE))
    chair_parser.set_defaults(handler=appoint_chair)
    parked_parser = commands.add_parser("parked", help="list, replay or discard parked events")
    parked_parser.add_argument("action", choices=("list", "replay", "discard"))
    parked_parser.add_argument("ids", nargs="*", help="parked message ids (from `trustone parked list`)")
    parked_parser.add_argument("--all", action="store_true", help="every parked message")
    parked_parser.add_argument("--config", default=str(CONFIG_FILE))
    parked_parser.set_defaults(handler=parked_events)
    queues_parser = commands.add_parser("queues", help="list a service's queues, or move them to quorum queues")
    queues_parser.add_argument("action", choices=("list", "quorum"))
    queues_parser.add_argument("services", nargs="*", help="the services (stopped, to move their queues)")
    queues_parser.add_argument("--all", action="store_true", help="every service")
    queues_parser.add_argument("--config", default=str(CONFIG_FILE))
    queues_parser.set_defaults(handler=queues)
    key_parser = commands.add_parser("attestation-key", help="make a key to sign attestations with")
    key_parser.add_argument("action", choices=("new",))
    key_parser.set_defaults(handler=attestation_key)
    verify_parser = commands.add_parser("verify-attestation", help="check an attestation offline")
    verify_parser.add_argument("file", help="the attestation (the JWS text); - reads it from standard input")
    verify_parser.add_argument("--keys", required=True, help="the published keys: a JSON file or the URL of "
                                                            "GET /v1/attestations/keys")
    verify_parser.set_defaults(handler=verify_attestation)
    engine_parser = commands.add_parser("engine", help="serve the in-process document engine to local processes")
    engine_parser.add_argument("--host", default="127.0.0.1")
    engine_parser.add_argument("--port", type=int, required=True)
    engine_parser.set_defaults(handler=engine)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
