"""Anonymous consultation: the case, its desk, its deadlines, anonymity (service: ConsultationFlows)."""
