"""How grants writes things down for a reader: files written whole or not at all, and the cells a
spreadsheet will not run. The reports, papers and exports all write through here."""
