"""The bid lifecycle, declared as data; no database, no command line."""
