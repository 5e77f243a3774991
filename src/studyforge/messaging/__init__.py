"""Broker edges: publishers of outbox events, and consumers of inbound commands (RabbitMQ
course requests in `course_consumer`, Kafka topics in `kafka_consumer`)."""
