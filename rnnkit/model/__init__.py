"""Networks: hand-written recurrent cells (one class each, registered), backbones, the task models
around them (one per job), equal parameter budgets and the memory a run needs (checked before it
starts, `memory`). Knows no dataset: sizes come from a `TaskSpec`."""
