"""helpdesk: the shared layer every function imports (models, rules, data access, HTTP edge)."""
