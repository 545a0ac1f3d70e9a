"""The demo world: one post office in the Mekong Delta, its agencies, procedures, people and
places (`world.py`). The `seed-demo` command (backend/cli/seed.py) writes it to a database; the
benchmarks (bench/) build their rounds from it. It ships with the application, so nothing here
may import tests."""
