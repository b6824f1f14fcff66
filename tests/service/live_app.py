"""Runs the real service in a process of its own, for the reliability suite.

    python -m tests.service.live_app --port P [--engine slow|none] [--steps N --step-s S]
                                     [--sentences N]

Settings come from NEWSUM_* variables as in production; only the abstractive
engine is a test double (tests.fakes.SlowEngine), handed to the app factory.
"""

from __future__ import annotations

import argparse
import logging

from newsum.service.cli.serve import listen, run_server
from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.fakes import SlowEngine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--engine", choices=["slow", "settings"], default="slow")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--step-s", type=float, default=0.05)
    parser.add_argument("--sentences", type=int, default=1)
    args = parser.parse_args()
    settings = Settings()
    engines = (
        Engines(abstractive=SlowEngine(args.steps, args.step_s, sentences=args.sentences))
        if args.engine == "slow"
        else None
    )
    logging.basicConfig(level=logging.WARNING)
    run_server(create_app(settings, engines), settings, listen("127.0.0.1", args.port))


if __name__ == "__main__":
    main()
