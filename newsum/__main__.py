"""`python -m newsum` is the `newsum` command."""

from newsum.service.cli.main import main

raise SystemExit(main())
