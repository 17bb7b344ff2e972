"""Everything the bot says: templates rendered, alerts and digests decided, and the
outbox that sends every proactive message, paced."""
