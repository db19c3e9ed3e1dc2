"""The entry script and calling it: load and check it, turn a request into `run()`'s arguments, call `run()`
serially under its deadline, and turn what it returned into a response."""
