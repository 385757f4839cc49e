"""Coordinator dashboard, indicators for funders, exports and the activity report."""
