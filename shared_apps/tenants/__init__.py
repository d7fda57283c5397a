"""Organizations (tenants), their domains and their lifecycle state, in the public schema."""
