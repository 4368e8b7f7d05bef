"""After-care of incidents: follow-ups, their record forms, the employee's check-in (service: AftercareFlows)."""
