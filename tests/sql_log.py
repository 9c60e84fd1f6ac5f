"""The statements peewee sends to the database, recorded for a test (peewee logs each one at DEBUG)."""
import contextlib
import logging


class _Recorder(logging.Handler):
    def __init__(self, statements):
        super().__init__(logging.DEBUG)
        self._statements = statements

    def emit(self, record):
        self._statements.append(record.msg)


@contextlib.contextmanager
def recorded_sql():
    """Within the block, every statement peewee sends, as its (sql, params), in the list this yields."""
    logger, statements = logging.getLogger("peewee"), []
    recorder, level = _Recorder(statements), logger.level
    logger.addHandler(recorder)
    logger.setLevel(logging.DEBUG)
    try:
        yield statements
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)
