"""Privacy: the access journal of a case file, GDPR export and erasure, retention, backups."""
