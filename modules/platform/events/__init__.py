"""Events between contexts: serializer, outbox store, relay, bus, broker, operators' queries."""
