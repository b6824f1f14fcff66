"""`newsum batch`: a corpus summarised into a file, in this process (`run`) or on Ray
(`on_ray`, the only module that imports Ray), rows answered by `rows`, kept by `files`.

Imports `service.runtime`, `service.contract`, `service.settings` and `newsum.models`; never
`service.web` or `service.cli`.
"""
