"""Configuration: one YAML file whose values come from environment variables with local defaults.

`nameko run --config deploy/config.yaml` and `trustone run` read the same file the same way (nameko's
`${NAME:default}` substitution), so a setting has one name and one default.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

CONFIG_FILE = Path(__file__).resolve().parent.parent / "deploy" / "config.yaml"
MEMORY_BROKER = "memory://"
EMBEDDED_MONGO_SCHEME = "mongomock://"

_parser_ready = False


def load(path: Path | str = CONFIG_FILE) -> dict:
    """The nameko config dict, environment variables applied."""
    global _parser_ready
    if not _parser_ready:
        setup_yaml_parser()
        _parser_ready = True
    with open(path) as handle:
        return yaml.safe_load(handle)


def http_address(config: dict, service_name: str) -> tuple[str, int]:
    return config.get("HTTP_HOST", "127.0.0.1"), int(config["HTTP_PORTS"][service_name])


def is_embedded_broker(config: dict) -> bool:
    return config["AMQP_URI"].startswith(MEMORY_BROKER)


def is_embedded_mongo(config: dict) -> bool:
    return config["MONGO_URI"].startswith(EMBEDDED_MONGO_SCHEME)
