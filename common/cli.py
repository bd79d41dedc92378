"""`trustone`: run the platform.

    trustone run                 every service in this process; embedded broker and document engine
                                 unless AMQP_URI / MONGO_URI say otherwise
    trustone run scoring         one service (what each container of docker-compose.yml runs)
    trustone rescore 1           after correcting services/scoring/frameworks/year-1.yaml (raise its
                                 version): the scoring service re-reads the files and rescores year 1
"""
from __future__ import annotations

import warnings

# eventlet announces its own deprecation and nameko 2's CLI imports pkg_resources: both known, both noise.
warnings.filterwarnings("ignore", message=".*(Eventlet is deprecated|pkg_resources is deprecated).*")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # before anything imports sockets

import argparse  # noqa: E402
import logging.config  # noqa: E402
import sys  # noqa: E402

from common import config as configuration  # noqa: E402
from common.logging import get_logger  # noqa: E402

SERVICES = ("submission", "scoring", "notification", "reporting")


def service_class(name: str):
    module = __import__(f"services.{name}.service", fromlist=["service"])
    return module.SERVICE


def describe(config: dict, names) -> list[str]:
    """The first log lines: what runs, on what, and what is (not) kept."""
    lines = [f"starting {', '.join(names)}"]
    if configuration.is_embedded_broker(config):
        lines.append("broker: in-memory (kombu memory://), reachable only inside this process")
    else:
        lines.append(f"broker: {_redact(config['AMQP_URI'])}")
    if configuration.is_embedded_mongo(config):
        lines.append("documents: in-process engine (mongomock), one database per service")
    else:
        lines.append(f"documents: MongoDB at {_redact(config['MONGO_URI'])}")
    if configuration.is_embedded_broker(config) or configuration.is_embedded_mongo(config):
        lines.append("nothing this process holds in memory survives a restart")
    for name in names:
        host, port = configuration.http_address(config, name)
        lines.append(f"{name}: http://{host}:{port}")
    return lines


def _redact(uri: str) -> str:
    head, at, tail = uri.rpartition("@")
    return f"{head.split('//')[0]}//***@{tail}" if at else uri


def run(args) -> int:
    from nameko.cli.run import run as run_services

    from common import embedded

    config = configuration.load(args.config)
    names = args.services or SERVICES
    unknown = [each for each in names if each not in SERVICES]
    if unknown:
        print(f"unknown service(s): {', '.join(unknown)}; choose from {', '.join(SERVICES)}", file=sys.stderr)
        return 2
    logging.config.dictConfig(config["LOGGING"])
    log = get_logger("trustone")
    if configuration.is_embedded_broker(config):
        embedded.install()
        if len(names) < len(SERVICES):
            log.warning("an in-memory broker with only some services: the others cannot reach them")
    for line in describe(config, names):
        log.info(line)
    if config["SECRETARIAT_TOKEN"] == "secretariat-demo-token":
        log.warning("SECRETARIAT_TOKEN is the demo default; set your own outside a local demo")
    run_services([service_class(name) for name in names], config)
    return 0


def rescore(args) -> int:
    """Asks the running scoring service to apply a corrected framework (its HTTP API, so it works on the
    embedded platform too)."""
    import json

    import requests

    config = configuration.load(args.config)
    host, port = configuration.http_address(config, "scoring")
    host = "127.0.0.1" if host == "0.0.0.0" else host
    answer = requests.post(f"http://{host}:{port}/v1/frameworks/{args.covenant_year}/rescore",
                           headers={"Authorization": f"Bearer {config['SECRETARIAT_TOKEN']}"}, timeout=600)
    print(json.dumps(answer.json(), indent=2, ensure_ascii=False))
    return 0 if answer.ok else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="trustone", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run services")
    run_parser.add_argument("services", nargs="*", help=f"any of {', '.join(SERVICES)} (default: all)")
    run_parser.add_argument("--config", default=str(configuration.CONFIG_FILE))
    run_parser.set_defaults(handler=run)
    rescore_parser = commands.add_parser("rescore", help="apply a corrected assessment framework")
    rescore_parser.add_argument("covenant_year", type=int)
    rescore_parser.add_argument("--config", default=str(configuration.CONFIG_FILE))
    rescore_parser.set_defaults(handler=rescore)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
