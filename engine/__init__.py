"""The engine: HTTP server, REST API, results store, session lifecycle."""
