"""The appeal verbs, one module per stage; minhu.appeals.actions re-exports them all."""
