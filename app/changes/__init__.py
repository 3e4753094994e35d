"""The change feed: every write as an ordered, durable change, read by pull, long-poll and SSE."""
