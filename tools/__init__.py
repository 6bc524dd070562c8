"""Development tools shared by the browser tests and the benchmarks (not used by the app)."""
