"""Alerts: deadline rules turned into alerts, the alert centre, web push and the scheduler."""
