"""`python -m pipeline.cli` is `newswire`."""

from pipeline.cli import main

main()
