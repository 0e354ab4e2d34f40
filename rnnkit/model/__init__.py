"""Networks: hand-written recurrent cells (one class each, registered), backbones, the task models
around them (one per job) and equal parameter budgets. Knows no dataset: sizes come from a `TaskSpec`."""
