"""What both runtimes (wine.py, native.py) do alike: every process they start
or adopt is kept, and ended by its own handle when the run ends; every case
gets a run_dir of its own."""

from __future__ import annotations

import os

from netipc_conformance.runtime import interrupt, reference


class RuntimeBase:
    kind: str
    is_wine: bool

    def __init__(self):
        self._launched: list = []
        self._run_counter = 0
        self._owner = True
        interrupt.track(self)  # an interrupted run removes what it made

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self, argv: list[str], extra_env=None):
        core = reference.load()
        with interrupt.spawning():
            process = core.Process(argv, env=self.env(extra_env))
            self._launched.append(process)
        return process

    def adopt(self, process) -> None:
        """A process started elsewhere that this runtime must end at close()."""
        self._launched.append(process)

    def unique_run_dir(self, label: str = "run") -> str:
        """A Windows-form run_dir no other case of this run uses (the pid keeps
        pytest-xdist workers apart)."""
        self._run_counter += 1
        return f"C:\\netipc\\{os.getpid()}\\{label}-{self._run_counter}"

    def _end_launched(self) -> None:
        for process in self._launched:
            process.terminate(grace=1.0)
        self._launched.clear()
