"""Ctrl-C and SIGTERM during training: finish the current step, then save what ran.

While :func:`stop_on_signals` is active, the first SIGINT or SIGTERM only sets :data:`STOP`; the training
loops (runner.train, distributed.train_distributed) look at it after every step and end the run there with
``"status": "interrupted"``, so the JSON, the plot and (distributed) the checkpoint are still written. A
second signal exits at once (status 128 + signal number), for when even one more step is too long."""

import contextlib
import os
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Which signal asked the run to stop (None: none yet). ``requested`` only while the handlers are
    installed: a signal caught by an earlier run never stops a later one (``signal`` stays readable for
    the exit status)."""

    def __init__(self):
        self.signal = None
        self.active = False
        self.prefix = ""  # "[rank r] " in a multi-rank job, as on every other line of its stderr

    @property
    def requested(self):
        return self.active and self.signal is not None

    @property
    def exit_status(self):
        """The shell's convention for a run ended by a signal: 128 + its number (130 for Ctrl-C)."""
        return 128 + int(self.signal) if self.signal is not None else 0

    def message(self, step):
        return f"interrupted by {self.signal.name} after step {step}" if self.signal is not None else ""

    def _handle(self, signum, frame):
        sig = signal.Signals(signum)
        if self.signal is not None:
            os.write(2, f"{self.prefix}tangent-fwd: second {sig.name}: exiting now, without saving\n".encode())
            os._exit(128 + int(sig))
        self.signal = sig
        os.write(
            2,
            f"{self.prefix}tangent-fwd: {sig.name}: stopping after this step and saving the results "
            f"(send it again to exit at once)\n".encode(),
        )


STOP = StopRequest()


@contextlib.contextmanager
def stop_on_signals():
    """Turn SIGINT/SIGTERM into a stop request for the duration (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield STOP
        return
    STOP.signal = None
    previous = {s: signal.signal(s, STOP._handle) for s in SIGNALS}
    outer, STOP.active = STOP.active, True
    try:
        yield STOP
    finally:
        STOP.active = outer
        for s, h in previous.items():
            signal.signal(s, h)
