"""Visits and their reports, written on the phone, offline if need be."""
