"""Operating the engine: Prometheus metrics, the readiness probe, and log lines that carry the request
and session they belong to."""
