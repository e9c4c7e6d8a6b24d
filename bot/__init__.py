"""pcc-bot: Slack chat-ops for OVHcloud Hosted Private Cloud datastore copies out of sbg1a."""
