"""Official documents of each workflow, built as DocumentContent on the shared base (one module per workflow)."""
