"""Runs: the run-folder contract, the run store, the fair queue, launchers (local processes, Ray),
uploads, who may do what (the roster, code hashes, the secrets file, login throttling) and how a group
is built. The run store's modules import no torch."""
