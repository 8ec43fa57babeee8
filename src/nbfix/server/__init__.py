"""The language server: `nbfix server`, diagnostics and fixes in an editor over LSP."""
