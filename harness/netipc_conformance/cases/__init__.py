"""The conformance cases: one file per family and role, one function per case.

Run them with `netipc-conformance run --peer MANIFEST`; each function is
parametrized over the peers by the suite's pytest plugin.
"""
