"""The one configuration file read in a process of its own, as `nameko run` reads it: the environment's
values, else the embedded defaults."""
import os
import subprocess
import sys


def test_configuration_comes_from_the_environment_with_embedded_defaults():
    script = "from common.settings import load_config; import json; c = load_config(); " \
             "print(json.dumps([c['AMQP_URI'], c['MONGO_URI'], c['HTTP_PORTS'], c['HTTP_HOST']]))"
    env = {key: value for key, value in os.environ.items()
           if key not in ("AMQP_URI", "MONGO_URI", "SUBMISSION_PORT", "HTTP_HOST")}
    defaults = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                              check=True).stdout
    assert defaults.strip() == '["memory://localhost/", "mongomock://localhost/trustone", ' \
        '{"submission": 8000, "scoring": 8001, "notification": 8002, "reporting": 8003, "portal": 8004, "complaints": 8005, "attestation": 8006}, "127.0.0.1"]'
    env.update(AMQP_URI="amqp://u:p@rabbit:5672/", MONGO_URI="mongodb://mongo:27017/trustone",
               SUBMISSION_PORT="9000", HTTP_HOST="0.0.0.0")
    overridden = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                check=True).stdout
    assert overridden.strip() == '["amqp://u:p@rabbit:5672/", "mongodb://mongo:27017/trustone", ' \
        '{"submission": 9000, "scoring": 8001, "notification": 8002, "reporting": 8003, "portal": 8004, "complaints": 8005, "attestation": 8006}, "0.0.0.0"]'
