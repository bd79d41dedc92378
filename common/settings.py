"""Settings: one typed object built from one configuration file, deploy/config.yaml.

`nameko run --config deploy/config.yaml` and `trustone run` read that file the same way (nameko's
`${NAME:default}` substitution from the environment), so a setting has one name and one default: the
file's. This module gives each value its type; nameko itself reads AMQP_URI and LOGGING from the same dict.

Each service reads only the settings it uses (`READS`): a service's Settings hold None for every other
one, so no service is handed another's keys and tokens, whatever its configuration holds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml
from nameko.cli.main import setup_yaml_parser
from nameko.extensions import DependencyProvider

from common import network, vocabulary

CONFIG_FILE = Path(__file__).resolve().parent.parent / "deploy" / "config.yaml"
MEMORY_BROKER = "memory://"
QUEUE_TYPES = ("classic", "quorum")  # RabbitMQ's x-queue-type of the queues that outlive a process
EMBEDDED_MONGO_SCHEME = "mongomock://"

_parser_ready = False

MAX_REPORT_FILE_MB = 50  # REPORT_FILE_MAX_MB at most: what a request to the submission service may carry

# What every service reads: its broker, database and addresses, the operators' token, the clock, and how
# events, RPC calls and the outbox behave.
EVERY_SERVICE = frozenset({"AMQP_URI", "MONGO_URI", "HTTP_HOST", "HTTP_PORTS", "METRICS_TOKEN", "CLOCK",
                           "EVENT_ATTEMPTS", "EVENT_RETRY_BACKOFF_SECONDS", "RPC_TIMEOUT_SECONDS",
                           "OUTBOX_GRACE_SECONDS", "QUEUE_TYPE", "HEARTBEAT"})  # HEARTBEAT: nameko reads it
# An API service checks bearer tokens: the secretariat's it compares itself; the others it asks submission
# about and remembers for a while (submission holds the hashes).
_API = frozenset({"SECRETARIAT_TOKEN", "IDENTITY_CACHE_SECONDS"})
# A service that counts what one client address does (sign-ins, filings) believes our proxies, and the
# portal's word for the address it acts for.
_ADDRESSES = frozenset({"TRUSTED_PROXIES", "PORTAL_SERVICE_KEY"})
# What each service reads besides EVERY_SERVICE (README, Configuration, says the same per setting).
READS: dict[str, frozenset[str]] = {
    "submission": frozenset({"SECRETARIAT_TOKEN", "REPORT_FILE_MAX_MB"}),
    "scoring": _API | {"FRAMEWORKS_DIR", "VERIFICATION_SHARE", "VERIFICATION_MINIMUM"},
    "notification": _API | {"SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SECRETARIAT_EMAIL", "SECRETARIAT_LANGUAGE",
                            "DELIVERY_BACKOFF_SECONDS", "DELIVERY_ATTEMPTS", "WEBHOOK_TRUSTED_HOSTS",
                            "COMMISSION_EMAIL", "COMMISSION_LANGUAGE"},
    "reporting": _API | {"MIN_COMPANIES_PER_CELL", "MIN_COMPANIES_PER_REGION"},
    "complaints": _API | _ADDRESSES | {"COMPLAINTS_SECRET_KEY", "COMPLAINTS_FILINGS_PER_DAY",
                                       "COMPLAINTS_FOLLOW_UP_ATTEMPTS", "COMPLAINTS_FOLLOW_UP_ALERT"},
    "attestation": _API | {"ATTESTATION_SIGNING_KEYS", "ATTESTATION_WITHDRAWN_KEYS"},
    "portal": _ADDRESSES | {"SERVICE_URLS", "PORTAL_PUBLIC_URL", "PORTAL_SECRET_KEY", "PORTAL_SESSION_IDLE_MINUTES",
                            "PORTAL_SIGN_IN_ATTEMPTS", "PORTAL_SIGN_IN_ATTEMPTS_OVERALL", "PORTAL_SESSION_MAX_HOURS",
                            "REPORT_FILE_MAX_MB"},  # the form says how large a file may be
}


def read_by(service: str | None) -> frozenset[str] | None:
    """The settings `service` reads; None (all of them) for the launcher, or a name READS does not list."""
    own = READS.get(service) if service else None
    return None if own is None else EVERY_SERVICE | own


def load_config(path: Path | str = CONFIG_FILE) -> dict:
    """The nameko config dict of `path`, environment variables applied."""
    global _parser_ready
    if not _parser_ready:
        setup_yaml_parser()  # nameko's ${NAME:default} tags, as `nameko run` reads them
        _parser_ready = True
    with open(path) as handle:
        return yaml.safe_load(handle)


@dataclass(frozen=True)
class Settings:
    amqp_uri: str
    mongo_uri: str
    http_host: str
    http_ports: dict[str, int]
    secretariat_token: str
    metrics_token: str
    frameworks_dir: Optional[Path]
    clock: str
    smtp_host: Optional[str]
    smtp_port: int
    smtp_from: str
    secretariat_email: str
    secretariat_language: str
    delivery_backoff_seconds: float
    delivery_attempts: int
    event_attempts: int
    event_retry_backoff_seconds: float
    min_companies_per_cell: int
    min_companies_per_region: int
    rpc_timeout_seconds: float
    identity_cache_seconds: float
    outbox_grace_seconds: float
    service_urls: dict[str, str]
    portal_secret_key: Optional[str]
    portal_session_idle_minutes: float
    portal_sign_in_attempts: int
    portal_sign_in_attempts_overall: int
    portal_session_max_hours: float
    portal_service_key: Optional[str]
    portal_public_url: Optional[str]
    verification_share: float
    verification_minimum: int
    complaints_secret_key: Optional[str]
    complaints_filings_per_day: int
    complaints_follow_up_attempts: int
    complaints_follow_up_alert: int
    report_file_max_mb: int
    commission_email: str
    commission_language: str
    trusted_proxies: network.Networks
    webhook_trusted_hosts: frozenset[str]
    queue_type: str
    attestation_signing_keys: tuple[str, ...]
    attestation_withdrawn_keys: frozenset[str]

    @classmethod
    def from_config(cls, config: dict, service: str | None = None) -> "Settings":
        """Settings from nameko's config dict: of `service`, only what it reads (None for every other
        setting, present or not); without one, every setting. A missing or mistyped value names its setting."""
        reads = read_by(service)

        def wanted(name):
            return reads is None or name in reads

        def text(name):
            if not wanted(name):
                return None
            value = _required(config, name)
            return "" if value is None else str(value)

        def number(name, kind):
            if not wanted(name):
                return None
            value = _required(config, name)
            try:
                return kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"setting {name} must be a number, not {value!r}") from None

        def given(name, build):
            return build(text(name)) if wanted(name) else None

        clock = _required(config, "CLOCK")
        return cls(
            amqp_uri=text("AMQP_URI"),
            mongo_uri=text("MONGO_URI"),
            http_host=text("HTTP_HOST"),
            http_ports={name: int(port) for name, port in _required(config, "HTTP_PORTS").items()},
            secretariat_token=text("SECRETARIAT_TOKEN"),
            metrics_token=text("METRICS_TOKEN"),
            frameworks_dir=given("FRAMEWORKS_DIR", lambda value: Path(value) if value else None),
            # the YAML loader reads an ISO instant as a datetime: keep the text the user wrote
            clock=clock.isoformat() if hasattr(clock, "isoformat") else (clock or ""),
            smtp_host=given("SMTP_HOST", lambda value: value or None),
            smtp_port=number("SMTP_PORT", int),
            smtp_from=text("SMTP_FROM"),
            secretariat_email=text("SECRETARIAT_EMAIL"),
            secretariat_language=given("SECRETARIAT_LANGUAGE", lambda value: _language(value, "SECRETARIAT_LANGUAGE")),
            delivery_backoff_seconds=number("DELIVERY_BACKOFF_SECONDS", float),
            delivery_attempts=number("DELIVERY_ATTEMPTS", int),
            event_attempts=number("EVENT_ATTEMPTS", int),
            event_retry_backoff_seconds=number("EVENT_RETRY_BACKOFF_SECONDS", float),
            min_companies_per_cell=number("MIN_COMPANIES_PER_CELL", int),
            min_companies_per_region=number("MIN_COMPANIES_PER_REGION", int),
            rpc_timeout_seconds=number("RPC_TIMEOUT_SECONDS", float),
            identity_cache_seconds=number("IDENTITY_CACHE_SECONDS", float),
            outbox_grace_seconds=number("OUTBOX_GRACE_SECONDS", float),
            service_urls=_service_urls(config) if wanted("SERVICE_URLS") else None,
            portal_secret_key=given("PORTAL_SECRET_KEY", lambda value: value or None),
            portal_session_idle_minutes=number("PORTAL_SESSION_IDLE_MINUTES", float),
            portal_sign_in_attempts=number("PORTAL_SIGN_IN_ATTEMPTS", int),
            portal_sign_in_attempts_overall=number("PORTAL_SIGN_IN_ATTEMPTS_OVERALL", int),
            portal_session_max_hours=number("PORTAL_SESSION_MAX_HOURS", float),
            portal_service_key=given("PORTAL_SERVICE_KEY", lambda value: value or None),
            portal_public_url=given("PORTAL_PUBLIC_URL", _public_url),
            verification_share=number("VERIFICATION_SHARE", float),
            verification_minimum=number("VERIFICATION_MINIMUM", int),
            complaints_secret_key=given("COMPLAINTS_SECRET_KEY", lambda value: value or None),
            complaints_filings_per_day=number("COMPLAINTS_FILINGS_PER_DAY", int),
            complaints_follow_up_attempts=number("COMPLAINTS_FOLLOW_UP_ATTEMPTS", int),
            complaints_follow_up_alert=number("COMPLAINTS_FOLLOW_UP_ALERT", int),
            report_file_max_mb=given("REPORT_FILE_MAX_MB", lambda value: _bounded(value, "REPORT_FILE_MAX_MB", 1,
                                                                                   MAX_REPORT_FILE_MB)),
            commission_email=text("COMMISSION_EMAIL"),
            commission_language=given("COMMISSION_LANGUAGE", lambda value: _language(value, "COMMISSION_LANGUAGE")),
            trusted_proxies=given("TRUSTED_PROXIES", lambda value: _networks(value, "TRUSTED_PROXIES")),
            webhook_trusted_hosts=given("WEBHOOK_TRUSTED_HOSTS", lambda value: frozenset(
                each.strip().lower().strip("[]") for each in value.split(",") if each.strip())),
            queue_type=given("QUEUE_TYPE", lambda value: _queue_type(value, config)),
            attestation_signing_keys=given("ATTESTATION_SIGNING_KEYS", _listed),
            attestation_withdrawn_keys=given("ATTESTATION_WITHDRAWN_KEYS", lambda value: frozenset(_listed(value))),
        )

    @property
    def embedded_broker(self) -> bool:
        return self.amqp_uri.startswith(MEMORY_BROKER)

    @property
    def embedded_mongo(self) -> bool:
        return self.mongo_uri.startswith(EMBEDDED_MONGO_SCHEME)

    def http_address(self, service_name: str) -> tuple[str, int]:
        return self.http_host, self.http_ports[service_name]

    def local_urls(self) -> dict[str, str]:
        """Where each service answers, as a client on this machine reaches it."""
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "::") else self.http_host
        return {name: f"http://{host}:{port}" for name, port in self.http_ports.items()}


def _bounded(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"setting {name} must be a number, not {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"setting {name} must be from {low} to {high}, not {number}")
    return number


def _language(code: str, name: str) -> str:
    if code not in vocabulary.LANGUAGES:
        raise ValueError(f"setting {name} must be one of {vocabulary.LANGUAGES.codes}")
    return code


def _listed(text: str) -> tuple[str, ...]:
    """A setting's comma-separated values, as written (blanks around them dropped)."""
    return tuple(each.strip() for each in text.split(",") if each.strip())


def _queue_type(kind: str, config: dict) -> str:
    """QUEUE_TYPE; classic on the in-memory broker, which has no other (and nothing to replicate)."""
    if kind not in QUEUE_TYPES:
        raise ValueError(f"setting QUEUE_TYPE must be one of {', '.join(QUEUE_TYPES)}, not {kind!r}")
    return "classic" if str(config.get("AMQP_URI", "")).startswith(MEMORY_BROKER) else kind


def _networks(text: str, name: str) -> network.Networks:
    try:
        return network.networks(text)
    except ValueError as exc:
        raise ValueError(f"setting {name} must list networks (e.g. 127.0.0.1/32, 172.28.0.0/16): {exc}") from None


def _service_urls(config: dict) -> dict[str, str]:
    """Each service's base URL: as configured, else this machine at the service's port."""
    host = str(_required(config, "HTTP_HOST"))
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return {name: str(url or f"http://{host}:{int(config['HTTP_PORTS'][name])}").rstrip("/")
            for name, url in _required(config, "SERVICE_URLS").items()}


def _public_url(value: str) -> str | None:
    """The address people reach the portal at (printed on proofs of membership), without its last slash."""
    if not value:
        return None
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError(f"setting PORTAL_PUBLIC_URL must be an http(s) address such as https://trustone.example, "
                         f"not {value!r}")
    return value.rstrip("/")


def _required(config: dict, name: str):
    if name not in config:
        raise ValueError(f"setting {name} is missing from the configuration (see deploy/config.yaml)")
    return config[name]


# The secretariat's token is chosen by an operator, and every API service compares it with whatever a client
# sends, without a limit on guesses (the platform's own codes are long random tokens): a service refuses to
# start with a shorter one. The demo default is taken only by `trustone run` with its in-memory broker (the
# launcher marks its configuration with EMBEDDED_DEMO; no configuration file does), which warns of it.
DEMO_SECRETARIAT_TOKEN = "secretariat-demo-token"
MIN_SECRETARIAT_TOKEN = 32
EMBEDDED_DEMO = "TRUSTONE_EMBEDDED_DEMO"


def secretariat_token_fault(token: str | None, config: dict) -> str | None:
    """Why a service must not start with `token` as SECRETARIAT_TOKEN (None when it may)."""
    token = token or ""
    if token == DEMO_SECRETARIAT_TOKEN and config.get(EMBEDDED_DEMO):
        return None
    if len(token) >= MIN_SECRETARIAT_TOKEN:
        return None
    demo = " (the demo default is taken only by `trustone run` with its in-memory broker)" \
        if token == DEMO_SECRETARIAT_TOKEN else ""
    return (f"setting SECRETARIAT_TOKEN must be at least {MIN_SECRETARIAT_TOKEN} characters, not {len(token)}"
            f"{demo}: every API service checks it without a limit on guesses; make one with "
            f"`openssl rand -base64 32`")


def check_secretariat_token(container) -> None:
    """Refuses to start a service of `container` whose SECRETARIAT_TOKEN is too weak (ValueError, named)."""
    fault = secretariat_token_fault(of(container).secretariat_token, container.config)
    if fault:
        raise ValueError(fault)


_built: dict[tuple[int, str | None], tuple[dict, Settings]] = {}


def of(container) -> Settings:
    """The settings of a nameko container, as its service reads them (`READS`), built once per
    configuration and service."""
    config, service = container.config, getattr(container, "service_name", None)
    key = (id(config), service)
    known = _built.get(key)
    if known is None or known[0] is not config:  # the config is kept with them, so its id is not reused
        known = _built[key] = (config, Settings.from_config(config, service))
    return known[1]


class SettingsProvider(DependencyProvider):
    """Injects the service's Settings."""

    def setup(self):
        self.settings = of(self.container)

    def get_dependency(self, worker_ctx):
        return self.settings
