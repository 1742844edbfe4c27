"""Effects computed from path coefficients: total, indirect and conditional effects, mediation, hypotheses."""
