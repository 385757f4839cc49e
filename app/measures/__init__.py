"""ASLL measures: notification, assignment, phases, monthly fiches de lien and funder batches."""
