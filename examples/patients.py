"""Write a real-looking patient table from scikit-learn's breast cancer data, for the README.

    python examples/patients.py   # writes patients.csv (labelled) and new_patients.csv

The table has an id column, a clinic category with gaps, a free-text notes column and missing
measurements, as files from the field do.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer


def main():
    rng = np.random.default_rng(0)
    data = load_breast_cancer(as_frame=True)
    table = data.frame.iloc[:, :8].copy()
    table.insert(0, "PatientId", np.arange(1000, 1000 + len(table)))
    table["clinic"] = rng.choice(["north", "south", "east"], size=len(table))
    table["notes"] = [f"visit {i}: code {rng.integers(10**6)}" for i in range(len(table))]
    table.loc[rng.random(len(table)) < 0.1, "mean radius"] = np.nan
    table.loc[rng.random(len(table)) < 0.05, "clinic"] = np.nan
    table["diagnosis"] = np.where(data.target == 1, "benign", "malignant")
    table.iloc[:450].to_csv("patients.csv", index=False)
    table.iloc[450:].drop(columns=["diagnosis"]).to_csv("new_patients.csv", index=False)
    print("wrote patients.csv (450 rows) and new_patients.csv (119 rows, no diagnosis)")


if __name__ == "__main__":
    main()
