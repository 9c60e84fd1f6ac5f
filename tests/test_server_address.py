"""`make run` tells the address the server really listens on, also when HERSTEL_BIND names another."""
import os
import re

from browser import start_production_server, wait_until_serving
from databases import copy_database, drop_database


def test_the_server_prints_the_address_it_listens_on(demo_database, tmp_path):
    database = copy_database(demo_database, tmp_path)
    env = dict(os.environ, DATABASE_URL=str(database), HERSTEL_EVIDENCE_DIR=str(database.evidence),
               HERSTEL_WORKERS="1")
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        process, url = start_production_server(env, log)  # on a free port, not the default 8000
        try:
            wait_until_serving(url + "/health", process, log)
        finally:
            process.terminate()
            process.wait(timeout=30)
    drop_database(database)
    said = re.findall(r"Herstel draait op (\S+)", log_path.read_text())
    assert said == [url] and not url.endswith(":8000")
