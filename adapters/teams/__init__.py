"""The Microsoft Teams adapter (see app.py); every botbuilder import stays inside this folder."""
from adapters.teams.app import TeamsAdapter, build_teams

__all__ = ["TeamsAdapter", "build_teams"]
