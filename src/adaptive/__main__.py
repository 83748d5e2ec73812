"""`python -m adaptive ...`: the `adaptive` command, for an environment whose scripts folder is
not on PATH (or a checkout run with PYTHONPATH=src)."""

from adaptive.cli import main

if __name__ == "__main__":
    main()
