"""The reports a reader asks for, built from the year's bids, ledger and audit trail: the Working
Group's funding update and the action plan (working_group), the treasurer's reconciliation
(reconcile) and the year-end statement for the PCC (year_end). Each is data first; its Markdown,
CSV and JSON are written from that data."""
