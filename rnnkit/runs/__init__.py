"""Runs: the run-folder contract, the run store, the fair queue, launchers (local processes, Ray),
uploads, who may do what (the roster, code hashes, the secrets file, login throttling) and how a group
is built, and class assignments (assignments: the files; assignment_check: the store's check;
assignment_settings: what an assignment locks; class_runs: the teacher's grid and Stop). The run store's
modules import no torch."""
