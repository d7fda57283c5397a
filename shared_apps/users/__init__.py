"""People who log in: operators in the public schema, and each organization's staff in its own
schema."""
