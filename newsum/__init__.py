"""newsum: news summaries, extractive and abstractive, tied to the article sentences behind them.

One import root. `newsum.models` holds the engines and imports neither of the others;
`newsum.service` is the HTTP service, the corpus job and the command line, over `models`;
`newsum.benchmarks` is the user's `newsum bench` and the performance measurements, over
`models` in process or the service over HTTP. In a checkout the three live in the top-level
folders `models/`, `service/` and `benchmarks/`; the entries here are links to them.
"""
