"""``python -m fakedetect`` runs the command line."""

from fakedetect.cli import main

main()
