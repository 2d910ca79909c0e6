"""The library's version, in a module of its own: io, export and the command line read it
without importing the package's `__init__` (and so without import cycles)."""

__version__ = "0.1.0"
