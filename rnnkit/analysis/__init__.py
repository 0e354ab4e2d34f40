"""Analysis: what is read back from runs and shown: reports, statistics, sweeps, ensembles, inference,
the Inside views' computations, exports and the command that trains a run again."""
