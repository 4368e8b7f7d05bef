"""The Slack adapter (see app.py); every slack_bolt / slack_sdk import stays inside this folder."""
from adapters.slack.app import SlackAdapter, build_slack

__all__ = ["SlackAdapter", "build_slack"]
