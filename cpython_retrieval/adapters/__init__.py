"""Framework adapters: Inspect model APIs, the streamed TTFT measurement, and the oracle HTTP server."""
