"""Settings: one typed object built from one configuration file, deploy/config.yaml.

`nameko run --config deploy/config.yaml` and `trustone run` read that file the same way (nameko's
`${NAME:default}` substitution from the environment), so a setting has one name and one default: the
file's. This module gives each value its type; nameko itself reads AMQP_URI and LOGGING from the same dict.
"""
from __future__ import annotations

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
    verification_share: float
    verification_minimum: int
    complaints_secret_key: Optional[str]
    complaints_filings_per_day: int
    complaints_follow_up_attempts: int
    commission_email: str
    commission_language: str
    trusted_proxies: network.Networks
    webhook_trusted_hosts: frozenset[str]
    queue_type: str

    @classmethod
    def from_config(cls, config: dict) -> "Settings":
        """Settings from nameko's config dict; a missing or mistyped value names its setting."""
        def text(name):
            value = _required(config, name)
            return "" if value is None else str(value)

        def number(name, kind):
            value = _required(config, name)
            try:
                return kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"setting {name} must be a number, not {value!r}") from None

        language = _language(text("SECRETARIAT_LANGUAGE"), "SECRETARIAT_LANGUAGE")
        clock = _required(config, "CLOCK")
        return cls(
            amqp_uri=text("AMQP_URI"),
            mongo_uri=text("MONGO_URI"),
            http_host=text("HTTP_HOST"),
            http_ports={name: int(port) for name, port in _required(config, "HTTP_PORTS").items()},
            secretariat_token=text("SECRETARIAT_TOKEN"),
            metrics_token=text("METRICS_TOKEN"),
            frameworks_dir=Path(text("FRAMEWORKS_DIR")) if text("FRAMEWORKS_DIR") else None,
            # the YAML loader reads an ISO instant as a datetime: keep the text the user wrote
            clock=clock.isoformat() if hasattr(clock, "isoformat") else (clock or ""),
            smtp_host=text("SMTP_HOST") or None,
            smtp_port=number("SMTP_PORT", int),
            smtp_from=text("SMTP_FROM"),
            secretariat_email=text("SECRETARIAT_EMAIL"),
            secretariat_language=language,
            delivery_backoff_seconds=number("DELIVERY_BACKOFF_SECONDS", float),
            delivery_attempts=number("DELIVERY_ATTEMPTS", int),
            event_attempts=number("EVENT_ATTEMPTS", int),
            event_retry_backoff_seconds=number("EVENT_RETRY_BACKOFF_SECONDS", float),
            min_companies_per_cell=number("MIN_COMPANIES_PER_CELL", int),
            min_companies_per_region=number("MIN_COMPANIES_PER_REGION", int),
            rpc_timeout_seconds=number("RPC_TIMEOUT_SECONDS", float),
            identity_cache_seconds=number("IDENTITY_CACHE_SECONDS", float),
            outbox_grace_seconds=number("OUTBOX_GRACE_SECONDS", float),
            service_urls=_service_urls(config),
            portal_secret_key=text("PORTAL_SECRET_KEY") or None,
            portal_session_idle_minutes=number("PORTAL_SESSION_IDLE_MINUTES", float),
            portal_sign_in_attempts=number("PORTAL_SIGN_IN_ATTEMPTS", int),
            portal_sign_in_attempts_overall=number("PORTAL_SIGN_IN_ATTEMPTS_OVERALL", int),
            portal_session_max_hours=number("PORTAL_SESSION_MAX_HOURS", float),
            portal_service_key=text("PORTAL_SERVICE_KEY") or None,
            verification_share=number("VERIFICATION_SHARE", float),
            verification_minimum=number("VERIFICATION_MINIMUM", int),
            complaints_secret_key=text("COMPLAINTS_SECRET_KEY") or None,
            complaints_filings_per_day=number("COMPLAINTS_FILINGS_PER_DAY", int),
            complaints_follow_up_attempts=number("COMPLAINTS_FOLLOW_UP_ATTEMPTS", int),
            commission_email=text("COMMISSION_EMAIL"),
            commission_language=_language(text("COMMISSION_LANGUAGE"), "COMMISSION_LANGUAGE"),
            trusted_proxies=_networks(text("TRUSTED_PROXIES"), "TRUSTED_PROXIES"),
            webhook_trusted_hosts=frozenset(each.strip().lower().strip("[]")
                                            for each in text("WEBHOOK_TRUSTED_HOSTS").split(",") if each.strip()),
            queue_type=_queue_type(config),
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


def _language(code: str, name: str) -> str:
    if code not in vocabulary.LANGUAGES:
        raise ValueError(f"setting {name} must be one of {vocabulary.LANGUAGES.codes}")
    return code


def _queue_type(config: dict) -> str:
    """QUEUE_TYPE; classic on the in-memory broker, which has no other (and nothing to replicate)."""
    kind = str(_required(config, "QUEUE_TYPE"))
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


def _required(config: dict, name: str):
    if name not in config:
        raise ValueError(f"setting {name} is missing from the configuration (see deploy/config.yaml)")
    return config[name]


_built: dict[int, tuple[dict, Settings]] = {}


def of(container) -> Settings:
    """The settings of a nameko container, built once per configuration it runs with."""
    config = container.config
    known = _built.get(id(config))
    if known is None or known[0] is not config:  # the config is kept with them, so its id is not reused
        known = _built[id(config)] = (config, Settings.from_config(config))
    return known[1]


class SettingsProvider(DependencyProvider):
    """Injects the service's Settings."""

    def setup(self):
        self.settings = of(self.container)

    def get_dependency(self, worker_ctx):
        return self.settings
