"""Stage 'screen': careless-response screening with an audit trail."""
