"""Robustness stages: multiverse, PLSpredict, endogeneity, groups, power, PROCESS cross-check."""
