"""`python -m tutor.cli`: the same as the `tutor` console script."""

from tutor.cli import main

main()
