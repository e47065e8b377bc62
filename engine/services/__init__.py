"""Business rules per resource. Each function works inside the caller's transaction and is scoped to
one company; the API layer only translates HTTP to these calls."""
