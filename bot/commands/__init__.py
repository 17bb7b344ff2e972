"""What a caller asks of the core: the command catalogue (templates/commands.toml), the
request types with their limits (one place for every front door), and the chat's
grammar that turns a message's words into those requests."""
