"""The worker: one run folder executed in its own process, and the callbacks that connect the training
engine to that folder.

    execute     one run, start to end, in this process (and `execute_group`: several, forked)
    callbacks   metrics lines, checkpoints, stop requests, the time limit, early stopping, gradient probe,
                post-hoc fit, console progress
    limits      the memory limit a background worker runs under, and the "out of memory" message
    allocator   a run's own process keeps the memory a training step frees for the next (glibc's malloc)
    warm        the warm worker: torch and rnnkit imported once, one fork per run
    eta         a run's ETA from its measured steps
    demos       the shipped demo models
"""
