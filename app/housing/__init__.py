"""Flats and collective places; contracts and rent come with the housing issue."""
