"""Writes of the bank desk, one module per object: `statements` (importing a statement) and
`matching` (clearing statement lines against the books, entries for bank fees and interest,
finishing a reconciliation). Each writes its audit row in its own transaction."""
