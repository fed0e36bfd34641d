"""grants: the Crime Reduction Grant workflow engine."""

__version__ = "0.1.0"
