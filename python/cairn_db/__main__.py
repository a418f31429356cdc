"""`python -m cairn_db ARGS`: the same as the `cairn` command."""
from ._cli import main

main()
