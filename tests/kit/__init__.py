"""The test kit: a phone that speaks only the documented sync protocol (`phone.py`), the image
makers every test and the benchmarks use (`images.py`), and the local HTTP servers that stand in
for services outside PostRound (`http.py`: the agency's webhook receiver, the map tiles, the SMS and
Zalo gateway). The demo world's data lives in `backend/demo/` (it ships with the `seed-demo`
command)."""
