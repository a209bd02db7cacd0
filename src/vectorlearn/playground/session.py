"""One playground session: its settings, data, network and training state, on the public core.

Everything numeric is the core's: ``Network`` builds and runs the network, ``train`` runs the
epochs (resumed from a ``LoopState`` frame after frame), ``data_cost`` measures the costs.
This module only arranges their results for the page.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from ..core import (
    OPTIMIZERS,
    Hooks,
    LoopState,
    Network,
    TrainConfig,
    TrainingDiverged,
    data_cost,
    train,
)
from . import datasets as ds

MAX_LAYERS, MAX_UNITS = 6, 8  # the Playground's limits: pictures for every unit stay small
BOUNDARY_GRID, UNIT_GRID = 48, 24  # points per side of the pictures
N_POINTS = 400
OPTIMIZER_NAMES = ("gd", "momentum", "adam")
ACTIVATION_NAMES = ("tanh", "relu", "leaky_relu", "sigmoid", "identity")


@dataclass(frozen=True)
class Settings:
    """What the page's controls set. ``l2`` is the core's: ``J + (l2 / 2) sum ||W_l||^2``."""

    dataset: str = "circles"
    noise: float = 0.0
    test_fraction: float = 0.5
    features: tuple = ("x1", "x2")
    hidden: tuple = (4,)
    activation: str = "tanh"
    learning_rate: float = 0.03
    l2: float = 0.0
    dropout: float = 0.0
    batch_size: int = 10
    optimizer: str = "adam"
    seed: int = 0

    @classmethod
    def from_json(cls, values: dict) -> Settings:
        """Settings from the page's JSON; a ValueError names the first impossible one."""
        if not isinstance(values, dict):
            raise ValueError("settings must be a JSON object")
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        s = cls(**{**asdict(cls()), **values})
        s = cls(**{**asdict(s), "features": tuple(s.features), "hidden": tuple(s.hidden)})
        s.check()
        return s

    def check(self) -> None:
        _choice("dataset", self.dataset, (*ds.DATASETS, "csv"))
        _number("noise", self.noise, 0, 0.5)
        _number("test fraction", self.test_fraction, 0.1, 0.9)
        if not self.features or any(f not in ds.FEATURES for f in self.features):
            raise ValueError(f"choose at least one input feature among {', '.join(ds.FEATURES)}")
        if len(self.hidden) > MAX_LAYERS:
            raise ValueError(f"at most {MAX_LAYERS} hidden layers")
        for n in self.hidden:
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_UNITS:
                raise ValueError(f"each hidden layer needs 1 to {MAX_UNITS} units, got {n!r}")
        _choice("activation", self.activation, ACTIVATION_NAMES)
        _number("learning rate", self.learning_rate, 0, 10, low_open=True)
        _number("L2", self.l2, 0, 10)
        _number("dropout", self.dropout, 0, 0.9)
        if not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= ds.MAX_CSV_POINTS:
            raise ValueError(f"the batch size must be a whole number from 1 to {ds.MAX_CSV_POINTS}")
        _choice("optimizer", self.optimizer, OPTIMIZER_NAMES)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ValueError("the seed must be a whole number >= 0")


def _choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")


def _number(name, value, low, high, low_open=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value > high or value < low or (low_open and value == low):
        side = ">" if low_open else ">="
        raise ValueError(f"the {name} must be a number {side} {low} and <= {high}, got {value!r}")


class Session:
    """The data, the network ``(n_0, *hidden, 1)`` with a sigmoid head, and where training is."""

    def __init__(self, settings: Settings, csv_points: ds.PointSet | None = None):
        self.settings = s = settings
        self.rng = np.random.default_rng(s.seed)
        if s.dataset == "csv":
            if csv_points is None:
                raise ValueError("load a CSV file first")
            self.points = csv_points
        else:
            self.points = ds.synthetic(s.dataset, N_POINTS, s.noise, self.rng)
        P_tr, y_tr, P_te, y_te = ds.split(self.points, s.test_fraction, self.rng)
        self.P_train, self.P_test, self.y_train, self.y_test = P_tr, P_te, y_tr, y_te
        self.X_train = ds.input_features(P_tr, s.features)  # (n_0, m_train)
        self.X_test = ds.input_features(P_te, s.features)  # (n_0, m_test)
        self.Y_train = y_tr[None, :].astype(float)  # (1, m_train)
        self.Y_test = y_te[None, :].astype(float)  # (1, m_test)
        self.network = Network((len(s.features), *s.hidden, 1), s.activation, "sigmoid")
        W, B = self.network.init_params(self.rng, np, "float64")
        self.state = LoopState(W=W, B=B, best_W=W, best_B=B)
        self.optimizer = OPTIMIZERS[s.optimizer](s.learning_rate)
        self.message = None  # why training stopped on its own (divergence), for the page
        self._unit_grid = ds.grid(self.points.extent, UNIT_GRID)  # (2, UNIT_GRID^2)
        self._boundary_grid = ds.grid(self.points.extent, BOUNDARY_GRID)

    @property
    def W(self):
        return self.state.W

    @property
    def B(self):
        return self.state.B

    @property
    def epoch(self) -> int:
        return self.state.epoch

    def train(self, epochs: int) -> bool:
        """Run ``epochs`` more epochs with the core's ``train``; False if training diverged."""
        s = self.settings
        config = TrainConfig(
            max_epochs=self.state.epoch + epochs,
            batch_size=s.batch_size,
            l2=s.l2,
            dropout=s.dropout,
            n_iter_no_change=None,
            rng=self.rng,
        )
        hooks = Hooks(validation=(self.X_test, self.Y_test), resume=self.state)
        try:
            train(self.network, self.W, self.B, self.X_train, self.Y_train,
                  optimizer=self.optimizer, config=config, hooks=hooks)  # fmt: skip
        except TrainingDiverged as error:
            self.message = f"{error} Press reset, and try a smaller learning rate."
            return False
        return True

    def predict(self, P) -> np.ndarray:
        """The probability of class 1 at each point of ``P`` (2, m), as (m,)."""
        X = ds.input_features(P, self.settings.features)
        return self.network.predict(self.W, self.B, X)[0]  # (m,)

    def unit_pictures(self) -> list:
        """Each unit's output over the plane: one list per layer (the inputs first), each
        holding one flat ``UNIT_GRID^2`` list per unit."""
        X = ds.input_features(self._unit_grid, self.settings.features)  # (n_0, g)
        _, (A_prevs, _, Gs) = self.network.forward(self.W, self.B, X)
        H = self.network.predict(self.W, self.B, X)  # (1, g)
        return [_rounded(A, 2) for A in [A_prevs[0], *Gs, H]]

    def snapshot(self, playing: bool) -> dict:
        """All the page draws, as plain JSON values."""
        history, s = self.state.history, self.settings
        prob_test = self.predict(self.P_test)
        accuracy = float(np.mean((prob_test >= 0.5) == (self.y_test == 1)))
        curve = _downsample(history.loss, history.validation_loss, 300)
        return {
            "settings": {**asdict(s), "features": list(s.features), "hidden": list(s.hidden)},
            "playing": playing,
            "epoch": self.epoch,
            "sizes": list(self.network.sizes),
            "features": list(s.features),
            "train_cost": data_cost(self.network, self.W, self.B, self.X_train, self.Y_train),
            "test_cost": data_cost(self.network, self.W, self.B, self.X_test, self.Y_test),
            "test_accuracy": accuracy,
            "curve": curve,
            "extent": list(self.points.extent),
            "classes": [str(c) for c in self.points.classes],
            "train": _points(self.P_train, self.y_train),
            "test": _points(self.P_test, self.y_test),
            "test_prob": prob_test.tolist(),
            "boundary": _rounded(self.predict(self._boundary_grid)[None, :], 3)[0],
            "units": self.unit_pictures(),
            "W": [_rounded(W_l, 3) for W_l in self.W],
            "B": [_rounded(B_l[:, 0][None, :], 3)[0] for B_l in self.B],
            "message": self.message,
        }


def _rounded(A, digits) -> list:
    return np.round(np.asarray(A, dtype=float), digits).tolist()


def _points(P, labels) -> list:
    return [[float(a), float(b), int(c)] for a, b, c in zip(P[0], P[1], labels)]


def _downsample(train_cost, test_cost, n) -> dict:
    """At most about ``n`` points of the two cost curves, with their 1-based epochs."""
    step = max(1, math.ceil(len(train_cost) / n))
    epochs = list(range(1, len(train_cost) + 1))[::-1][::step][::-1]
    return {
        "epoch": epochs,
        "train": [train_cost[e - 1] for e in epochs],
        "test": [test_cost[e - 1] for e in epochs],
    }
