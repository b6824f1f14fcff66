"""Speed, load and worst-case measurements, each a script that prints figures and writes a
report (`python -m newsum.benchmarks.perf.NAME --help`). They run from a checkout, with
`../shared` beside it.

Imports `newsum.models`, `benchmarks.output`, and the service only as a process over HTTP.
"""
