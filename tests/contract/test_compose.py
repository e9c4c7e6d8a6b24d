"""The compose file exposes nothing without its token: an ops listener bound beyond the loopback
(/readyz, /metrics) requires PCC_OPS_TOKEN, which compose refuses to start without."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = re.compile(r"^\$\{PCC_OPS_TOKEN:\?[^}]+\}$")


def test_an_ops_listener_beyond_the_loopback_wants_a_token_compose_requires():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    bots = [s for s in compose["services"].values() if s.get("image") == "pcc-bot"]
    assert bots
    for service in bots:
        env = service["environment"]
        host = str(env.get("PCC_OPS_BIND", "127.0.0.1:9102")).rpartition(":")[0]
        if host not in ("127.0.0.1", "localhost", "[::1]"):
            assert REQUIRED.match(str(env.get("PCC_OPS_TOKEN", ""))), env.get("PCC_OPS_TOKEN")
