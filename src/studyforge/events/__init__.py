"""Transactional outbox: domain events written with the change they report, relayed to brokers."""
