"""Audit trail of reads and changes."""
