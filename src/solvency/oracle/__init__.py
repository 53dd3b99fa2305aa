"""Risk oracle: online estimators, feed guards, controller, guardrails and the signed ledger."""
