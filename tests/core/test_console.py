"""Ray's routine notices are dropped; its real warnings still reach the user."""

import logging

import pytest

from gridmarket.console import ROUTINE_NOTICES, quiet_routine_notices


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.mark.parametrize(("name", "prefix"), ROUTINE_NOTICES)
def test_only_the_exact_notice_is_dropped(name, prefix):
    quiet_routine_notices()
    logger = logging.getLogger(name)
    handler = _Collect()
    logger.addHandler(handler)
    try:
        logger.warning(prefix + " (rest of the notice)")
        logger.warning("a real warning: the object store is full")
        logger.error(prefix + " but raised as an error")
    finally:
        logger.removeHandler(handler)
    assert handler.messages == [
        "a real warning: the object store is full",
        prefix + " but raised as an error",
    ]
