"""Where finished recordings are kept besides local disk: an S3-compatible object store (optional)."""
