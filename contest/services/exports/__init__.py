"""Exports written in the background into storage and downloaded once ready (:mod:`.jobs`)."""
