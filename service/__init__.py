"""The service over `newsum.models`: HTTP, the corpus job and the command line, in layers.

`cli` (the `newsum` command) over `web` (the HTTP surface) and `corpus` (`newsum batch`, in
process or on Ray), which never import each other; both over `runtime` (model owners, the
request pipeline, state, metrics), over `contract` (schemas, the error map, JSON bodies), over
`settings`. A layer imports only those below it (import-linter holds it).
"""
