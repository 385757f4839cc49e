"""Households (ménages) and the people in them."""
