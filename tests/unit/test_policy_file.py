"""The approval policy file (PCC_POLICY): parsed and checked at start, one line per problem; the first
matching rule decides; a plan takes the strictest."""

import pytest

from bot.domain.policy import DEFAULT_RULE, Facts, Policy, PolicyOperation, Reason
from bot.domain.policy_file import parse_policy
from bot.ops.config import ConfigError, load
from tests.unit.test_policy import HDS_POLICY, _policy

COPY, PLAN, RETRY = PolicyOperation.COPY, PolicyOperation.PLAN, PolicyOperation.RETRY


def test_the_design_example_parses_and_the_first_matching_rule_decides():
    policy = _policy()
    hds = Facts(COPY, frozenset({"hds"}), "2 TB", "pcc-src", "pcc-dst")
    rule = policy.rule_for(hds)
    assert rule.name == "health data" and rule.approvals == 2 and rule.at_least_one_of == {"SSECURITY"}
    assert rule.approve_reason == Reason.OPTIONAL and rule.reject_reason == Reason.REQUIRED
    assert rule.remind_after is not None and rule.remind_after.total_seconds() == 7200
    assert policy.rule_for(Facts(COPY, frozenset(), "2 TB", "a", "b")).name == "everything else"
    assert policy.rule_for(Facts(RETRY, frozenset({"hds"}), "2 TB", "a", "b")).name == "everything else"


def test_a_plan_takes_the_strictest_rule_among_its_datastores():
    policy = _policy(
        '[[rule]]\nname = "big"\nmatch = { min_size_gb = 1000 }\napprovals = 3\n'
        '[[rule]]\nname = "small"\napprovals = 1\n'
    )
    small = Facts(PLAN, frozenset(), "500 GB", "a", "b")
    big = Facts(PLAN, frozenset(), "2 TB", "a", "b")
    assert policy.strictest([small, small]).name == "small"
    assert policy.strictest([small, big, small]).name == "big"
    assert Policy().strictest([small]) is DEFAULT_RULE


def test_globs_on_source_and_destination():
    policy = _policy('[[rule]]\nname = "to lim"\nmatch = { destination = "pcc-*-lim" }\napprovals = 2\n')
    assert policy.rule_for(Facts(COPY, frozenset(), "1 TB", "pcc-a", "pcc-x-lim")).name == "to lim"
    assert policy.rule_for(Facts(COPY, frozenset(), "1 TB", "pcc-a", "pcc-x-rbx")) is DEFAULT_RULE


def test_a_malformed_policy_is_every_problem_one_line_each():
    _, problems = parse_policy(
        """
        colour = "blue"
        [[rule]]
        name = "a"
        match = { certification = ["hds", "iso"], weekday = "monday", min_size_gb = -1 }
        approvals = 0
        approvers = ["bob"]
        reason = { approve = "maybe" }
        ttl = "soon"
        escalte_to = ["SONCALL"]
        """
    )
    assert len(problems) == 9, problems
    assert all("\n" not in p for p in problems)
    joined = "\n".join(problems)
    for fragment in (
        "colour",
        "iso",
        "weekday",
        "min_size_gb",
        "approvals",
        "'bob'",
        "maybe",
        "ttl",
        "escalte_to",
    ):
        assert fragment in joined
    assert parse_policy("[[rule]\nname=")[1][0].startswith("not valid TOML")
    _, unreachable = parse_policy('[[rule]]\nname = "all"\n[[rule]]\nname = "never"\n')
    assert unreachable == ["rule 1 (all) matches every request: the rules after it never apply"]


def test_a_bad_policy_file_is_refused_at_start_with_the_other_problems(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text('[[rule]]\napprovals = 3\napprovers = ["UBOB", "UDAVE"]\n')
    with pytest.raises(ConfigError) as caught:
        load({"PCC_POLICY": str(path), "PCC_POLL_SECONDS": "soon"}, read_dotenv=False)
    assert len(caught.value.problems) == 2
    assert "asks 3 approvals but its approvers are only 2 people" in caught.value.problems[1]
    with pytest.raises(ConfigError, match="cannot read"):
        load({"PCC_POLICY": str(tmp_path / "missing.toml")}, read_dotenv=False)
    path.write_text(HDS_POLICY)
    assert load({"PCC_POLICY": str(path)}, read_dotenv=False).approval_policy == _policy()


def test_the_documented_policies_parse_without_a_problem():
    """The examples in docs/commands.md stay valid policies."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "commands.md").read_text()
    examples = [block.split("```", 1)[0] for block in text.split("```toml\n")[1:]]
    assert examples
    for example in examples:
        policy, problems = parse_policy(example)
        assert problems == [] and policy.rules


def test_a_long_policy_is_shown_within_slacks_limits_and_its_names_escaped():
    from slack_sdk.models.blocks import Block

    from bot.adapters.slack.policy_view import policy_message

    rules = "".join(
        f'[[rule]]\nname = "<!channel> rule {n}"\nmatch = {{ source = "pcc-{n}-*" }}\napprovals = 2\n'
        for n in range(80)
    )
    policy = _policy(rules)
    text = "\n".join(f"{n}. {rule.describe({'UBOB', 'SONCALL'})}" for n, rule in enumerate(policy.rules, 1))
    _, blocks = policy_message(text)
    assert len(blocks) == 50 and "31 more line(s)" in blocks[-1]["text"]["text"]
    for block in blocks:
        assert Block.parse(block).to_dict() == block and len(block["text"]["text"]) <= 3000
        assert "<!channel>" not in block["text"]["text"]
