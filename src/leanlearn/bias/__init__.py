"""Stage 'bias': non-response, key-informant and common-method checks."""
