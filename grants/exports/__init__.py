"""The books and the awards as files for other tools: the plain-text accounting journal (journal),
the PCC's workbook with its native charts (workbook, workbook_charts) and the 360Giving data
package (giving360)."""
