"""Relationship lookups: membership-as-of-date filters, the co-mention and relation network around an
actor, shortest relation paths between two actors, and mention timelines."""
