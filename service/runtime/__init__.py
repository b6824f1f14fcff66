"""What answers a request once it is read: one owner thread per model behind a bounded queue
(`owner`, `owners`), the request pipeline (`pipeline`), the loaded engines (`state`), the model
judge (`judge`) and the Prometheus metrics (`metrics`).

Imports `newsum.models`, `service.contract` and `service.settings`; never the web or the CLI.
"""
