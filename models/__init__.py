"""The summarisation engines: reading an article, TextRank, attribution, faithfulness, comparison.

`abstractive/` holds the seq2seq engine. Imports only its own modules and libraries: never
`newsum.service`, `newsum.benchmarks`, FastAPI, Starlette or uvicorn (import-linter holds it).
"""
