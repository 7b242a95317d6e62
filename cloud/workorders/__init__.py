"""Work orders: lifecycle, service levels with escalation, routing to teams and technicians."""
