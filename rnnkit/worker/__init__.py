"""The worker: one run folder executed in its own process, and the callbacks that connect the training
engine to that folder.

    execute     one run, start to end, in this process (and `execute_group`: several, forked)
    callbacks   metrics lines, checkpoints, stop requests, the time limit, early stopping, gradient probe,
                post-hoc fit, console progress
    limits      the memory limit a background worker runs under, and the "out of memory" message
    demos       the shipped demo models
"""
