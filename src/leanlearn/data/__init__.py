"""Stage 'ingest' and 'merge': reading survey exports, personal data, archival merge, controls, missing data."""
