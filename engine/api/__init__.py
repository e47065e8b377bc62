"""The v1 REST API: one router module per resource, mounted by `engine.app.create_app`."""
