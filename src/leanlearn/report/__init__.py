"""Reporting: result registry, tables, figures, headline, summary, manuscript numbers, provenance."""
