"""The writes of scanned checks, one module per domain object: uploads (taking a file of scans
and reading it), matching (the payer's fingerprint, the donor suggested, duplicates), review
(correcting, accepting into a draft gift, rejecting, creating the payer as a donor), retention
(the organization's period and the deletion of expired images). Reads are in checks.selectors."""
