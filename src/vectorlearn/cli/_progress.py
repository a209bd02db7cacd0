"""What train shows on stderr: progress of the epochs, and notes."""

from __future__ import annotations

import sys


class Progress:
    """A callback showing the epoch, cost and validation loss on stderr.

    A progress bar on a terminal; elsewhere (a log, a pipe) a plain line every ``every`` epochs,
    so logs stay readable; nothing with ``quiet``.
    """

    def __init__(self, total: int, quiet: bool, every: int = 10, label: str = "epoch"):
        self.quiet, self.every, self.bar, self.label = quiet, every, None, label
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="epoch", file=sys.stderr, leave=False)

    def __call__(self, info: dict) -> None:
        if self.quiet:
            return
        text = f"cost {info['loss']:.6f}"
        if info["validation_loss"] is not None:
            text += f"  validation loss {info['validation_loss']:.6f}"
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(text, refresh=False)
        elif info["epoch"] == 1 or info["epoch"] % self.every == 0:
            print(f"{self.label} {info['epoch']:>5}  {text}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def note(text: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"vectorlearn: {text}", file=sys.stderr)
