"""Running Windows programs: the Wine and native runtimes, the reference core,
peer processes, the agent, and cleanup on interruption."""
