"""Reference models that answer from the prompt alone: `oracle` (reads the context), `memorizer` (recalls a real
release), and `prompt_cache` (what both parse once per context)."""
