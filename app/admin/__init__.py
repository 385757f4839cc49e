"""Administration: accounts, teams, invitations and the audit journal."""
