"""Incidents: the report form, risk assessment, escalation, SOS and help (service: IncidentFlows)."""
