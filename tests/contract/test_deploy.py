"""What ships for deployment holds: the Kubernetes manifests validate offline against the API's schemas
(kubernetes-validate, strict: an unknown field fails) and wire what the bot needs; the Dockerfile
installs the dependencies before the code; the build context leaves secrets and databases out."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.ops.variables import BY_NAME, SETTINGS

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy/kubernetes"
#: The oldest Kubernetes release the manifests are held to, and the newest the validator knows.
RELEASES = ("1.30.0", kubernetes_validate.latest_version())


def manifests() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(KUBE.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            for document in yaml.safe_load_all(path.read_text()):
                found[document["kind"]] = document
    return found


@pytest.mark.parametrize("release", RELEASES)
def test_the_manifests_validate_offline(release):
    found = manifests()
    assert set(found) == {"ConfigMap", "Deployment", "Service", "PodDisruptionBudget"}
    for document in found.values():
        kubernetes_validate.validate(document, release, strict=True)
    wrong = {**found["Service"], "spec": {**found["Service"]["spec"], "selektor": {}}}
    with pytest.raises(kubernetes_validate.ValidationError):  # the validator does refuse a typo
        kubernetes_validate.validate(wrong, release, strict=True)
    listed = yaml.safe_load((KUBE / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in KUBE.glob("*.yaml") if p.name != "kustomization.yaml")


def test_the_deployment_runs_two_http_replicas_with_probes_and_secrets_by_reference():
    found = manifests()
    deployment = found["Deployment"]
    pod = deployment["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert deployment["spec"]["replicas"] == 2 and container["args"] == ["serve", "--http"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    env = {item["name"]: item for item in container["env"]}
    assert str(ports["http"]) == env["PORT"]["value"] and BY_NAME["PORT"].default == "3000"
    assert env["PCC_OPS_BIND"]["value"] == f"0.0.0.0:{ports['ops']}"
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "ops"}
    assert env["PCC_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "pcc-bot-database"
    assert {"secretRef": {"name": "pcc-bot-secrets"}} in container["envFrom"]
    secrets = {s.name for s in SETTINGS if s.secret}
    assert not [name for name, item in env.items() if name in secrets and "value" in item]
    assert not secrets & set(found["ConfigMap"]["data"])  # secrets never in the ConfigMap
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(ports["ops"])
    # `pcc-bot serve` stops within 10 s of SIGTERM: the grace period covers it.
    assert pod["spec"]["terminationGracePeriodSeconds"] > 10


def test_the_service_and_the_budget_select_the_pods_and_their_ports():
    found = manifests()
    pod = found["Deployment"]["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    labels = pod["metadata"]["labels"]
    for kind in ("Service", "PodDisruptionBudget"):
        spec = found[kind]["spec"]
        selector = spec["selector"].get("matchLabels", spec["selector"])
        assert selector.items() <= labels.items(), kind
    assert found["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    targets = {port["targetPort"] for port in found["Service"]["spec"]["ports"]}
    assert targets == set(ports)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert container["image"] == f"pcc-bot:{version}"


def dockerfile_steps() -> list[str]:
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_the_image_installs_its_dependencies_before_the_code():
    """A change of code only (bot/, handlers/) leaves the dependency layer cached: everything copied
    before the dependencies' install is what lists them, and the code comes after it."""
    build = dockerfile_steps()
    build = build[: next(i for i, step in enumerate(build[1:], 1) if step.startswith("FROM "))]
    install = next(
        i for i, step in enumerate(build) if "pip install" in step and "-r requirements.txt" in step
    )
    copied_before = [step.split()[1:-1] for step in build[:install] if step.startswith("COPY ")]
    assert copied_before == [["pyproject.toml", "constraints.txt"]]
    code = [i for i, step in enumerate(build) if step.startswith(("COPY bot", "COPY handlers"))]
    assert len(code) == 2 and min(code) > install
    assert "--no-deps" in next(step for step in build[max(code) :] if "pip install" in step)


def test_the_image_carries_oci_labels_and_the_version():
    steps = " ".join(dockerfile_steps())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f"ARG VERSION={version}" in steps
    for label in ("title", "description", "version", "licenses"):
        assert f"org.opencontainers.image.{label}=" in steps


def test_the_build_context_leaves_the_venv_secrets_and_databases_out():
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    rules = [rule for rule in rules if rule and not rule.startswith("#")]

    def sent(path: str) -> bool:  # Docker's rule: the last matching line wins
        verdict = True
        for rule in rules:
            negated, pattern = rule.startswith("!"), rule.lstrip("!").rstrip("/").removeprefix("**/")
            if (
                fnmatch.fnmatch(path, pattern)
                or fnmatch.fnmatch(path.rsplit("/", 1)[-1], pattern)
                or path.startswith(pattern + "/")
            ):
                verdict = negated
        return verdict

    for kept in (
        "pyproject.toml",
        "constraints.txt",
        "README.md",
        "LICENSE",
        "bot/app.py",
        "handlers/home.py",
    ):
        assert sent(kept), kept
    for left in (
        ".venv/bin/python",
        ".env",
        "pcc-bot.db",
        "bot/pcc-bot.db",
        ".git/HEAD",
        "tests/conftest.py",
    ):
        assert not sent(left), left


def test_every_dependency_and_dev_tool_is_pinned_by_the_constraints_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [*project["project"]["dependencies"], *project["project"]["optional-dependencies"]["dev"]]
    pins = {
        _normal(line.split("==")[0]): line.split("==")[1]
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    names = [_normal(re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0]) for requirement in wanted]
    assert [name for name in names if name not in pins] == []
    assert project["build-system"]["requires"] == ["setuptools>=77"]  # PEP 639's license string
    assert (ROOT / "LICENSE").read_text().split()[:2] == ["Apache", "License"]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
