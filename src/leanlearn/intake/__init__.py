"""Starting a study: drafting a study folder from a survey export, checking a study folder.

:mod:`leanlearn.intake.draft` (``leanlearn init``) reads nothing but the export the CLI
passes in and returns the texts of a draft codebook, model and config plus a tidy table of
what it guessed for every column. :mod:`leanlearn.intake.check` (``leanlearn check``)
validates a study's codebook, model, config and data together and returns every problem at
once. Neither module writes files.
"""
