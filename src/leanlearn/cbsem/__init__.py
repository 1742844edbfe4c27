"""Stages 'cfa' and 'cbsem': covariance-based SEM with semopy."""
