"""newsum's summarisation engines: segmentation, TextRank, comparison.

This package never imports the web layer (`service`), FastAPI or Starlette;
`tests/test_architecture.py` holds it to that.
"""
