"""The rough edges a newcomer met in the first hour (issue 29), each tried again at the process boundary:
the command line as a subprocess, the bot over signed HTTP."""

import json
import re
import subprocess
import sys
from pathlib import Path

from bot.adapters.slack import ids
from bot.demo.simulator import large_pcc
from bot.domain import PlanState
from tests.boundary.test_first_hour import CLEAN, pcc_bot
from tests.helpers import file_request, free_port

BIG = "pcc-192-0-2-99"


def console(
    lines: str, tmp_path, *, command: str = "console", env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`pcc-bot console` (or ``command``) fed ``lines``, with none of the shell's settings but ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "bot", command],
        input=lines,
        env={**CLEAN, **(env or {})},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_console_help_and_usage_are_plain_text_and_bad_console_arguments_stay_in_the_console(tmp_path):
    done = console("help\nfilers\nwait soon\nas\n", tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "&lt;" not in out and "&gt;" not in out and "&amp;" not in out
    assert "filers <service>" in out
    assert "usage: wait SECONDS (type ? for console commands)" in out
    assert "usage: as NAME (type ? for console commands)" in out
    assert "Unknown" not in out and "unknown subcommand" not in out.lower()  # never sent to /pcc


def test_a_console_piped_into_head_ends_quietly(tmp_path):
    done = subprocess.run(
        ["bash", "-c", f"printf 'filers pcc-192-0-2-15\\n' | {sys.executable} -m bot console | head -3"],
        env=CLEAN,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert len(done.stdout.splitlines()) == 3
    assert "BrokenPipeError" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert "unexpected error" not in done.stderr + done.stdout


def test_help_of_doctor_credentials_and_serve_says_what_they_do(tmp_path):
    doctor = pcc_bot("doctor", "--help", env=CLEAN, cwd=tmp_path).stdout
    assert "without changing anything" in doctor and "dedicatedCloud.json" in doctor
    assert "Exit status" in doctor
    credentials = pcc_bot("credentials", "--help", env=CLEAN, cwd=tmp_path).stdout
    assert "OVH_APPLICATION_KEY" in credentials and "validates it" in credentials
    serve = " ".join(pcc_bot("serve", "--help", env=CLEAN, cwd=tmp_path).stdout.split())
    assert "/readyz and /metrics are on the operations listener only (PCC_OPS_BIND" in serve
    assert "in Socket Mode it serves /healthz, /readyz and /metrics" not in serve


def test_an_unreachable_ovhcloud_is_a_sentence_and_a_dns_failure_is_called_so(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}/1.0"
    done = pcc_bot("doctor", env={**CLEAN, "OVH_ENDPOINT": closed}, cwd=tmp_path)
    assert "the connection was refused: nothing listens at that address" in done.stdout
    assert "HTTPConnectionPool" not in done.stdout and "Error(" not in done.stdout
    keys = {"OVH_APPLICATION_KEY": "k", "OVH_APPLICATION_SECRET": "s"}
    dns = {**CLEAN, **keys, "OVH_ENDPOINT": "http://pcc-bot-test.invalid/1.0"}
    done = pcc_bot("credentials", env=dns, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "its name does not resolve (DNS)" in done.stderr and "refused" not in done.stderr


def test_doctor_with_nothing_set_says_each_cause_once_in_one_shape_and_writes_nothing(tmp_path, simulator):
    for endpoint in (simulator.url, f"http://127.0.0.1:{free_port()}/1.0"):
        done = pcc_bot("doctor", env={**CLEAN, "OVH_ENDPOINT": endpoint}, cwd=tmp_path)
        assert done.returncode == 1 and done.stderr == "" and "Traceback" not in done.stdout
        out = done.stdout
        for cause in ("SLACK_BOT_TOKEN", "PCC_APPROVERS", "OVH_APPLICATION_KEY"):
            assert out.count(cause) == 1, out
        assert "problem(s) to fix before serving." in out.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []  # no database created


def test_an_unknown_variable_is_named_with_the_closest_known_one(tmp_path):
    done = pcc_bot("doctor", env={**CLEAN, "PCC_READONLY": "1", "SLACK_BOT_TOKN": "x"}, cwd=tmp_path)
    assert "pcc-bot: warning: PCC_READONLY is set but pcc-bot reads no such variable" in done.stderr
    assert "did you mean PCC_READ_ONLY?" in done.stderr and "did you mean SLACK_BOT_TOKEN?" in done.stderr
    assert done.returncode == 1  # a warning, not a refusal: doctor ran


def test_make_run_with_half_the_slack_settings_says_what_is_missing(tmp_path):
    done = pcc_bot("run", env={**CLEAN, "SLACK_APP_TOKEN": "xapp-1-a"}, cwd=tmp_path)
    assert done.returncode == 2 and "console" not in done.stdout
    assert "SLACK_APP_TOKEN is set, but SLACK_BOT_TOKEN (xoxb-) is missing" in done.stderr
    done = pcc_bot("run", env={**CLEAN, "SLACK_BOT_TOKEN": "xoxb-1"}, cwd=tmp_path)
    assert done.returncode == 2 and "neither SLACK_APP_TOKEN" in done.stderr


def test_refusals_name_people_and_every_click_is_answered(bot, simulator):
    request_id = file_request(bot)  # alice files; she is not an approver
    bot.click(ids.APPROVE, str(request_id), user="UALICE")
    bot.settle()
    said = bot.replies()[-1]
    assert "you filed request #1 yourself: someone else, listed in PCC_APPROVERS, has to" in said
    assert "another approver" not in said

    simulator.sim.inventory[BIG] = large_pcc(2)
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
    bot.settle()
    (plan,) = bot.runtime.repo.plans.recent(5)
    bot.click(ids.APPROVE_PLAN, str(plan.id), user="UBOB")
    bot.settle()
    assert bot.runtime.repo.plans.get(plan.id).state == PlanState.APPROVED
    bot.click(ids.REJECT_PLAN, str(plan.id), user="UCAROL")
    bot.settle()
    assert f"plan #{plan.id} is already approved by <@UBOB>" in bot.replies()[-1]
    bot.runtime.service.plans.dispatch_later(plan.id)
    bot.settle()
    before = len(bot.replies())
    bot.click(ids.CANCEL_PLAN_REST, str(plan.id), user="UCAROL")
    bot.settle()
    assert len(bot.replies()) == before + 1
    assert "nothing left to cancel, every datastore's call was already sent" in bot.replies()[-1]


def test_the_http_manifest_is_the_socket_mode_one_with_the_http_edits(tmp_path):
    import yaml

    done = pcc_bot("manifest", "--http", "https://pcc.example.com", env=CLEAN, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    made = yaml.safe_load(done.stdout)
    url = "https://pcc.example.com/slack/events"
    assert made["settings"]["socket_mode_enabled"] is False
    assert made["settings"]["interactivity"]["request_url"] == url
    assert made["settings"]["interactivity"]["message_menu_options_url"] == url
    assert made["settings"]["event_subscriptions"]["request_url"] == url
    assert made["features"]["slash_commands"][0]["url"] == url
    with open(Path(__file__).resolve().parents[2] / "manifest.yml") as socket_mode:
        original = yaml.safe_load(socket_mode)
    assert made["oauth_config"] == original["oauth_config"] and made["features"]["bot_user"]
    done = pcc_bot("manifest", "--http", "http://pcc.example.com", env=CLEAN, cwd=tmp_path)
    assert done.returncode == 2 and "wants the public https URL" in done.stderr


def test_the_rehearsal_runs_the_real_http_server_between_the_simulator_and_the_slack_stand_in(tmp_path):
    script = "\n".join(
        [
            "filers pcc-192-0-2-15",
            "migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515",
            "approve 1",
            "as bob",
            "approve 1",
            "wait soon",
        ]
    )
    # the shell's settings are not the rehearsal's
    done = console(script + "\n", tmp_path, command="rehearse", env={"PCC_APPROVERS": "UNOBODY"}, timeout=180)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "`pcc-bot serve --http` (pid " in out and "checking every request's signature" in out
    assert out.count("(signed POST /slack/events: the server answered 200)") == 4
    assert "`ssd-001234` id 1234" in out  # the listing, by response_url
    assert "== Datastore copy request #1: ssd-001234 → pcc-192-0-2-50 ==" in out
    assert "[chat.postMessage → #ops]" in out and "[response_url → only you see this]" in out
    assert "you filed request #1 yourself" in out  # alice's own click, refused
    assert "Replication started for request #1" in out  # bob's click: the one POST
    assert "usage: wait SECONDS" in out
    assert list(tmp_path.iterdir()) == []  # its database and log lived in a folder of its own


def test_the_demo_copy_lasts_long_enough_for_its_card_to_show_an_expected_end(tmp_path):
    script = "migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515\nas bob\napprove 1\nwait 12\nstatus 1\n"
    done = console(script, tmp_path)  # the default speed, as `make run` starts it
    assert done.returncode == 0, done.stderr
    status = done.stdout.rsplit("bob> status 1", 1)[1]
    assert "replicating" in status and "done" not in status
    assert re.search(r"ends around \d{4}-\d\d-\d\d \d\d:\d\d UTC \(about [1-9]\d* min left\)", status), status


def test_the_card_says_so_before_anyone_approves_when_the_route_is_absent(bot, simulator):
    def card_of(request_id: int) -> str:
        cards = bot.slack.standin.calls_to("chat.postMessage")
        return next(
            json.dumps(c.args["blocks"], ensure_ascii=False)
            for c in cards
            if f"request #{request_id}:" in str(c.args.get("text"))
        )

    simulator.sim.describes_copy_routes = False
    first = file_request(bot)
    card = card_of(first)
    assert "OVHcloud's published API description no longer lists this route" in card
    assert 'linkFilerFromSbg {\\"filerId\\": 1234} (route absent from OVHcloud\'s API description)' in card
    simulator.sim.describes_copy_routes = True
    second = file_request(bot, "migrate pcc-192-0-2-15 1337 1235 pcc-192-0-2-50 1515")
    assert "no longer lists this route" in card_of(second)  # the read is kept for an hour
    assert len(simulator.sim.calls_to("GET", r"^/dedicatedCloud\.json$")) == 1


def test_the_card_says_nothing_when_the_route_is_described(bot, simulator):
    request_id = file_request(bot)
    (card,) = [
        c for c in bot.slack.standin.calls_to("chat.postMessage") if "request #" in str(c.args["text"])
    ]
    assert f"request #{request_id}" in card.args["text"]
    assert "no longer lists this route" not in json.dumps(card.args["blocks"])
    assert "route absent" not in json.dumps(card.args["blocks"])


def test_the_console_answers_a_form_a_rule_opens(tmp_path):
    """Under PCC_POLICY a Reject whose rule requires a reason opens a form; the console shows it and
    `answer TEXT` submits it: the request is rejected with that reason."""
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[rule]]\nname = "reasons"\napprovers = ["UBOB"]\nreason = { reject = "required" }\n', "utf-8"
    )
    script = (
        "answer too soon\n"
        "migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515\nas bob\nreject 1\n"
        "answer wrong destination\nstatus 1\n"
    )
    done = console(script, tmp_path, env={"PCC_POLICY": str(policy), "PCC_APPROVERS": "UBOB"})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "(no form is open" in out.split("alice> migrate", 1)[0]
    assert "[a form opened, only you see it] Reject request #1" in out and "type: answer TEXT" in out
    status = out.rsplit("bob> status 1", 1)[1]
    assert "rejected" in status and "wrong destination" in status
