"""Training progress that reads well on a terminal and in a log file.

On a terminal: a tqdm bar, redrawn at most every ``mininterval`` seconds (the loss and examples/s ride
along without forcing a redraw). Anywhere else (a pipe, a file, a batch job's log): no carriage-return
redraws, which pile up as one enormous line, but a plain line at most every ``interval`` seconds and one
at the end."""

import sys
import time

PLAIN_INTERVAL = 5.0  # seconds between plain progress lines when stderr is not a terminal
MININTERVAL = 0.5  # seconds between redraws of the terminal bar


def _isatty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


_LABELS = {"loss": ("loss", "{:.4f}"), "ex_s": ("ex/s", "{:.0f}"), "test_acc": ("test acc", "{:.4f}")}


def _format(stats):
    out = []
    for k, v in stats.items():
        label, fmt = _LABELS.get(k, (k, "{}"))
        out.append(f"{label} {fmt.format(v)}")
    return ", ".join(out)


class Progress:
    """``update(n, **stats)`` after each step, ``write(msg)`` for a line that must not be torn by the bar,
    ``close()`` at the end. ``enabled=False``: only ``write`` (through ``log``) does anything."""

    def __init__(self, total, desc, enabled=True, stream=None, interval=None, mininterval=None, log=print):
        self.total, self.desc, self.log = total, desc, log
        self.stream = stream if stream is not None else sys.stderr
        self.interval = PLAIN_INTERVAL if interval is None else interval
        self.n = 0
        self.stats = {}
        self._bar = None
        self._plain = False
        self._t0 = self._last = time.monotonic()
        if not enabled:
            return
        if _isatty(self.stream):
            try:
                from tqdm.auto import tqdm
            except ImportError:  # tqdm is optional (the 'train' extra): plain lines then
                self._plain = True
            else:
                self._bar = tqdm(
                    total=total,
                    desc=desc,
                    unit="step",
                    leave=True,
                    dynamic_ncols=True,
                    mininterval=MININTERVAL if mininterval is None else mininterval,
                    file=self.stream,
                )
        else:
            self._plain = True

    def update(self, n=1, **stats):
        self.n += n
        self.stats.update(stats)
        if self._bar is not None:
            self._bar.set_postfix_str(_format(self.stats), refresh=False)
            self._bar.update(n)  # redraws only when mininterval has passed
        elif self._plain:
            now = time.monotonic()
            if now - self._last >= self.interval:
                self._last = now
                self._line(now)

    def _line(self, now):
        pct = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
        extra = _format(self.stats)
        print(
            f"{self.desc}: step {self.n}/{self.total}{pct}, {now - self._t0:.0f} s" + (f", {extra}" if extra else ""),
            file=self.stream,
            flush=True,
        )

    def write(self, msg):
        if self._bar is not None:
            self._bar.write(msg)  # stdout, like log=print
        elif self.log is not None:
            self.log(msg)

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._plain and self.n:
            self._line(time.monotonic())
            self._plain = False
