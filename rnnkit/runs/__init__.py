"""Runs: the run-folder contract, the run store, the fair queue, launchers (local processes, Ray),
uploads and who may do what. Imports no torch."""
