"""What runs the contexts while knowing none of them: storage, events, HTTP, settings."""
