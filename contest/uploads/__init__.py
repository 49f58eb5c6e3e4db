"""Resumable video uploads (tus 1.0) under /uploads/tus."""
