"""Measurements of newsum: `bench` is the benchmark users run (`newsum bench`: summarise, score
and time a corpus, with its report and plots); `perf` holds the speed and load measurements.

Imports `newsum.models` in process, or talks to the service over HTTP; never `newsum.service`.
"""
