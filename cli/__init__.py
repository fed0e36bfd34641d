"""The grants command line: thin Typer commands over the grants library."""
