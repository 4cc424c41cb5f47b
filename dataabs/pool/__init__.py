"""Pool cut (资产池封包): eligibility rules, pool constraints, selection, the frozen snapshot and strat tables."""
