"""Slash command and action ids: shared by the builders, the handlers and the manifest test."""

COMMAND = "/pcc"
APPROVE = "pcc_approve"
REJECT = "pcc_reject"

ACTIONS = (APPROVE, REJECT)
