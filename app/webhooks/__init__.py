"""Webhook subscriptions to the change feed: signed (Standard Webhooks), batched, retried, leased."""
