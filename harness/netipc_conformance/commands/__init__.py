"""The command-line commands other than `run`: bench, faults, names, vectors."""
