"""The papers the partnership circulates, as Word documents: the papers themselves (working_group),
the Word document behind them (word) and the pot chart drawn into them (potchart)."""
