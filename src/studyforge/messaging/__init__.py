"""Broker edges: publishers of outbox events (and, later, consumers of inbound commands)."""
