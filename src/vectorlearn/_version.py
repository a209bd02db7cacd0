"""The package's version, in one place: pyproject.toml reads it from here when building.

A literal, not ``importlib.metadata.version("vectorlearn")``: that lookup scans the installed
distributions and took about 50 ms of every command line start-up.
"""

__version__ = "0.1.0"
