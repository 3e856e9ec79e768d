"""Render official documents (GB/T 9704-2012 layout) from a plain document model."""
