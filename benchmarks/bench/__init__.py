"""`newsum bench`: systems run on a corpus (`run`, `systems`), scored against references and
the article's lead (`scoring`), reported as tables and plots (`report`, `plots`).

Imports `newsum.models` and `benchmarks.output`; reads `newsum batch` output files (`answers`)
rather than importing the service.
"""
