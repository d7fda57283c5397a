"""The donors desk's own pages under /donors/: adding a donor (with the duplicates it may be)
and editing one. The list and a donor's page show giving, so they live in donations."""
