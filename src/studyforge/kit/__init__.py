"""Small shared helpers (pagination, redaction, request limits). No domain logic here."""
