"""Creating, seeding, exporting and deleting tenants: the one way a tenant comes or goes."""
