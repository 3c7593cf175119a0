"""The course's tooling: the broker stack, the benchmarks and notebook execution (not imported by lessons)."""
