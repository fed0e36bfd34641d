"""The papers the partnership circulates, as Word documents: the Working Group's update
(working_group), the action plan (action_plan) and the year-end statement for the PCC (year_end);
what they share (layout), the Word document behind them (word) and the pot chart drawn into them
(potchart). Every sentence is a text report's; the papers only lay it out."""
