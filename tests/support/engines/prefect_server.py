"""Starts one Prefect server for the engines suite, prints its API URL, and stops it when
standard input closes. Flow runs given `PREFECT_API_URL` use it instead of starting a
temporary server each (`SubprocessASGIServer` is that temporary server, made to last)."""

import sys

from prefect.server.api.server import SubprocessASGIServer

server = SubprocessASGIServer()
# A busy 2-core machine may need more than the default 20 s.
server.start(timeout=180)
print(server.api_url, flush=True)
sys.stdin.read()
server.stop()
