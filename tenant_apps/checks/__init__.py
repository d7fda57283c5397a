"""Check deposits from scans: reading each scanned check (the `reading` package) and, later, the
upload, review and matching that turn a stack of scans into a deposit."""
