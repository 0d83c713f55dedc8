"""The sidecar service: augur over HTTP (FastAPI), with a model registry, dynamic
micro-batching, background training jobs and the playground page."""
