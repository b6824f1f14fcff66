"""The `newsum` command: `main` (the parsers and summarize, batch, bench), `serve` (uvicorn)
and `fetch` (fetch-model).

The top layer: may import every other room of `service`, and `newsum.benchmarks` lazily for
`newsum bench`.
"""
