"""netipc-conformance: the conformance harness for the netipc Windows Named Pipe transport."""

__version__ = "0.1.0"
