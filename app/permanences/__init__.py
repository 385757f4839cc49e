"""Permanences: drop-in sessions, volunteer shifts, arrivals, intakes, orientations, partners."""
