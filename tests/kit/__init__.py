"""The test kit: a phone that speaks only the documented sync protocol (`phone.py`) and the image
makers every test and the benchmarks use (`images.py`). The demo world's data lives in
`backend/demo/` (it ships with the `seed-demo` command)."""
