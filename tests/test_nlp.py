"""The spaCy side: an interrupted parse with worker processes stops at once."""

import multiprocessing
import os
import signal
import time

import pytest

from pipeline.nlp import _interruptible


def _sleep() -> None:
    time.sleep(60)


def test_ctrl_c_ends_the_worker_processes_and_raises_keyboard_interrupt() -> None:
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with _interruptible(True):
            worker = multiprocessing.get_context("fork").Process(target=_sleep)
            worker.start()
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler raises before this ends
    worker.join(timeout=5)
    assert worker.exitcode is not None and worker.exitcode != 0
    assert signal.getsignal(signal.SIGINT) is before
