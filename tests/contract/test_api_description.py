"""The API description the simulator serves is OVHcloud's format and the 2021-04 capture's routes (the
first generation's `linkFilerFromSbg` aside: the guide of 24 March 2021 names it, no capture has it);
and the docs the first hour found drifting stay with the code."""

import json
from pathlib import Path

from bot.adapters.ovh import description, routes
from bot.demo.simulator.description import COPY_ROUTES, api_description

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
CAPTURE = json.loads((SCHEMAS / "dedicatedCloud-2021-04.json").read_text())
TODAY = json.loads((SCHEMAS / "dedicatedCloud-2024-06.json").read_text())


def test_every_described_route_is_in_a_capture_with_its_parameters():
    """The copy routes as the 2021 capture has them; the Veeam restore's, which it lacks, as today's."""
    captured = {
        (op["httpMethod"], api["path"]): op
        for capture in (TODAY, CAPTURE)
        for api in capture["apis"]
        for op in api["operations"]
    }
    served = description.described(api_description())
    assert (routes.LINK_FILER.method, routes.LINK_FILER.template) in served
    for (method, path), actions in served.items():
        assert actions and all(a.startswith("pccVMware:apiovh:") for a in actions)
        if path == routes.LINK_FILER.template:
            continue
        assert (method, path) in captured, (method, path)
        names = {p["name"] for p in captured[(method, path)]["parameters"] if p["paramType"] == "path"}
        served_op = next(
            op
            for api in api_description()["apis"]
            if api["path"] == path
            for op in api["operations"]
            if op["httpMethod"] == method
        )
        assert {p["name"] for p in served_op["parameters"] if p["paramType"] == "path"} == names
        declared = {
            (p["name"], p["paramType"], p["dataType"]) for p in captured[(method, path)]["parameters"]
        }
        assert {(p["name"], p["paramType"], p["dataType"]) for p in served_op["parameters"]} <= declared


def test_without_the_copy_routes_only_they_are_absent():
    needed = [r for r in routes.ROUTES if r is not routes.AUTH_DETAILS]
    found = description.states(api_description(copy_routes=False), needed)
    assert {s.route for s in found if s.state == description.ABSENT} == set(COPY_ROUTES)
    assert all(s.state == description.PRESENT for s in description.states(api_description(), needed))


def test_the_docs_name_every_log_level_the_code_takes():
    from bot.ops.variables import LOG_LEVELS

    text = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    (row,) = [line for line in text.splitlines() if line.startswith("| `LOG_LEVEL` |")]
    assert all(level in row for level in LOG_LEVELS), row


class _SpentBudget:
    def acquire(self, max_wait: float, **_: object) -> None:
        from bot.support.window import RateLimited

        raise RateLimited(30.0)


def test_the_description_read_takes_a_place_in_the_budget_and_is_kept(simulator):
    read = lambda: simulator.sim.calls_to("GET", r"^/dedicatedCloud\.json$")  # noqa: E731
    spent = description.RouteDirectory(simulator.url, _SpentBudget())
    assert spent.absent("linkFilerFromSbg") is False and read() == []  # no place: nothing read, claimed
    simulator.sim.describes_copy_routes = False
    kept = description.RouteDirectory(simulator.url)
    assert kept.absent("linkFilerFromSbg") and kept.absent("copyFiler") and len(read()) == 1
    unreachable = description.RouteDirectory("http://127.0.0.1:9/1.0")
    assert unreachable.absent("linkFilerFromSbg") is False  # could not read: nothing claimed
