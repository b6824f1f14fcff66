"""newsum's HTTP layer and command line. Imports `models`; `models` never imports this."""
